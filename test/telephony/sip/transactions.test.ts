/** Client transaction timers (RFC 3261 17.1) on Jest's fake clock: the exact schedule. */
import { type SipMessage, type SipRequest, type SipResponse, SipHeaders } from '../../../src/telephony/sip/sip-message';
import { ClientTransaction, type SipTimerConfig } from '../../../src/telephony/sip/transactions';

const timers: SipTimerConfig = { t1Ms: 500, t2Ms: 4000, t4Ms: 5000 };

function request(method: string): SipRequest {
  return {
    kind: 'request',
    method,
    uri: 'sip:100@example.net',
    headers: new SipHeaders([
      ['Via', 'SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKtest'],
      ['From', '<sip:bot@example.net>;tag=a'],
      ['To', '<sip:100@example.net>'],
      ['Call-ID', 'tx-test'],
      ['CSeq', `1 ${method}`],
    ]),
    body: Buffer.alloc(0),
  };
}

function response(status: number): SipResponse {
  return {
    kind: 'response',
    status,
    reason: 'x',
    headers: new SipHeaders([
      ['Via', 'SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKtest'],
      ['To', '<sip:100@example.net>;tag=b'],
      ['CSeq', '1 INVITE'],
    ]),
    body: Buffer.alloc(0),
  };
}

function run(method: string) {
  const sent: Array<{ at: number; message: SipMessage }> = [];
  const seen: number[] = [];
  let timedOut = -1;
  let terminatedAt = -1;
  const start = Date.now();
  const transaction = new ClientTransaction(
    request(method),
    (message) => sent.push({ at: Date.now() - start, message }),
    timers,
    { onResponse: (r) => seen.push(r.status), onTimeout: () => (timedOut = Date.now() - start) },
    () => (terminatedAt = Date.now() - start),
  );
  transaction.start();
  return { transaction, sent, seen, timedOut: () => timedOut, terminatedAt: () => terminatedAt, start };
}

beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
afterEach(() => jest.useRealTimers());

test('INVITE: timer A doubles (0, T1, 3T1, 7T1...), timer B gives up at 64*T1', () => {
  const { sent, timedOut } = run('INVITE');
  jest.advanceTimersByTime(64 * 500 + 10);
  expect(sent.map((s) => s.at)).toEqual([0, 500, 1500, 3500, 7500, 15_500, 31_500]);
  expect(timedOut()).toBe(32_000);
});

test('INVITE: a provisional stops retransmission and timer B; a non-2xx final is ACKed, its copies re-ACKed for timer D', () => {
  const { transaction, sent, seen, timedOut, terminatedAt } = run('INVITE');
  jest.advanceTimersByTime(600);
  transaction.receive(response(180));
  jest.advanceTimersByTime(60_000);
  expect(sent).toHaveLength(2);
  expect(timedOut()).toBe(-1);
  transaction.receive(response(486));
  transaction.receive(response(486));
  expect(sent.map((s) => (s.message.kind === 'request' ? s.message.method : s.message.status))).toEqual(['INVITE', 'INVITE', 'ACK', 'ACK']);
  expect(seen).toEqual([180, 486]); // the copy is absorbed
  jest.advanceTimersByTime(32_000);
  expect(terminatedAt()).toBe(600 + 60_000 + 32_000);
});

test('INVITE: 2xx goes to the TU, and so do its retransmissions for 64*T1 (RFC 6026)', () => {
  const { transaction, seen, terminatedAt } = run('INVITE');
  transaction.receive(response(200));
  transaction.receive(response(200));
  expect(seen).toEqual([200, 200]);
  jest.advanceTimersByTime(32_000);
  expect(terminatedAt()).toBe(32_000);
});

test('non-INVITE: timer E doubles up to T2, stays at T2 once proceeding, timer F at 64*T1', () => {
  const { sent, timedOut } = run('REGISTER');
  jest.advanceTimersByTime(64 * 500 + 10);
  // 0, 500, 1500, 3500 (x2 each), then every T2 = 4000.
  expect(sent.map((s) => s.at)).toEqual([0, 500, 1500, 3500, 7500, 11_500, 15_500, 19_500, 23_500, 27_500, 31_500]);
  expect(timedOut()).toBe(32_000);
});

test('non-INVITE: after a provisional, retransmit every T2; a final response ends it, timer K absorbs copies', () => {
  const { transaction, sent, seen, terminatedAt } = run('BYE');
  jest.advanceTimersByTime(100);
  transaction.receive(response(100));
  jest.advanceTimersByTime(10_000);
  // First retransmission at T1 (already scheduled), the next ones every T2.
  expect(sent.map((s) => s.at)).toEqual([0, 500, 4500, 8500]);
  transaction.receive(response(200));
  transaction.receive(response(200));
  expect(seen).toEqual([100, 200]);
  jest.advanceTimersByTime(5000);
  expect(terminatedAt()).toBe(10_100 + 5000);
});
