/**
 * Transaction and dialog rules against a scripted UDP peer: retransmission timers (RFC 3261
 * 17.1: A/B for INVITE, E/F otherwise) with a short T1 so the test stays quick, duplicate
 * responses, 407 proxy auth, CANCEL timing, and what we answer to requests we did not expect.
 */
import { parseAuthParams } from '../../../src/telephony/sip/digest-auth';
import { type SipRequest, SipHeaders, parseCSeq, tagOf, topViaBranch } from '../../../src/telephony/sip/sip-message';
import type { SipUserAgent } from '../../../src/telephony/sip';
import { PEER_ADDRESS, UA_ADDRESS } from './support/peers';
import { ScriptedPeer, answerSdp } from './support/scripted-peer';
import { startUserAgent } from './support/ua';

jest.setTimeout(20_000);

const T1 = 100;

let peer: ScriptedPeer;
let ua: SipUserAgent | undefined;

beforeEach(async () => {
  peer = await ScriptedPeer.start();
});

afterEach(async () => {
  await ua?.close();
  ua = undefined;
  peer.close();
});

const start = (overrides: Parameters<typeof startUserAgent>[0] extends infer O ? Partial<O> : never = {}) =>
  startUserAgent({ server: { host: PEER_ADDRESS, port: peer.port }, sipTimers: { t1Ms: T1, t2Ms: 4 * T1, t4Ms: 5 * T1 }, closeTimeoutMs: 1000, ...overrides });

/** A request from the peer inside the dialog of `invite` (answered with our From tag as To tag). */
function inDialogRequest(method: string, invite: SipRequest, peerTag: string, cseq: number, branch: string, body?: Buffer): SipRequest {
  const headers = new SipHeaders([
    ['Via', `SIP/2.0/UDP ${PEER_ADDRESS}:${peer.port};branch=${branch}`],
    ['From', `${invite.headers.get('to') ?? ''};tag=${peerTag}`],
    ['To', invite.headers.get('from') ?? ''],
    ['Call-ID', invite.headers.get('call-id') ?? ''],
    ['CSeq', `${cseq} ${method}`],
    ['Max-Forwards', '70'],
  ]);
  if (body) headers.append('Content-Type', 'application/sdp');
  return { kind: 'request', method, uri: 'sip:bot@127.0.0.2', headers, body: body ?? Buffer.alloc(0) };
}

test('timer A: an unanswered INVITE is retransmitted after T1, then 2*T1, identical each time', async () => {
  ua = await start();
  const call = ua.dial({ callId: 'a', number: '100', ringTimeoutSec: 10 });
  const first = await peer.nextRequest('INVITE');
  const second = await peer.nextRequest('INVITE');
  const third = await peer.nextRequest('INVITE');
  peer.reply(third, 486, { toTag: 'callee' });
  await expect(call.finished).resolves.toMatchObject({ type: 'busy', status: 486 });

  // The exact schedule is in transactions.test.ts (fake clock); here: real sockets, doubling gap.
  expect(third.at - second.at).toBeGreaterThan(second.at - first.at);
  expect(topViaBranch(second.message)).toBe(topViaBranch(first.message));
  expect(third.message.headers.get('cseq')).toBe(first.message.headers.get('cseq'));
  // The 486 is ACKed in the INVITE's transaction: same branch, the callee's To tag.
  const ack = await peer.nextRequest('ACK');
  expect(topViaBranch(ack.message)).toBe(topViaBranch(first.message));
  expect(tagOf(ack.message.headers.get('to'))).toBe('callee');
  expect(parseCSeq(ack.message.headers.get('cseq'))).toEqual({ seq: parseCSeq(first.message.headers.get('cseq'))?.seq, method: 'ACK' });
});

test('timer B: no response at all ends the call as an error after 64*T1', async () => {
  ua = await start({ sipTimers: { t1Ms: 20, t2Ms: 80, t4Ms: 100 } });
  const call = ua.dial({ callId: 'b', number: '100', ringTimeoutSec: 30 });
  const outcome = await call.finished;
  expect(outcome).toEqual({ type: 'error', status: 408, reason: '408 Request Timeout (no response to INVITE)' });
  // Up to 1 + 6 retransmissions fit in 64*T1 (T1 + 2T1 + ... + 32T1 = 63T1; exact schedule in transactions.test.ts).
  const sent = peer.all((m) => m.kind === 'request' && m.method === 'INVITE').length;
  expect(sent).toBeGreaterThanOrEqual(5);
  expect(sent).toBeLessThanOrEqual(7);
});

test('duplicate final responses are absorbed: one busy event, each copy ACKed again', async () => {
  ua = await start();
  const call = ua.dial({ callId: 'c', number: '100', ringTimeoutSec: 10 });
  const busyEvents: unknown[] = [];
  call.on('busy', (event) => busyEvents.push(event));
  const invite = await peer.nextRequest('INVITE');
  peer.reply(invite, 180, { toTag: 'callee' });
  peer.reply(invite, 180, { toTag: 'callee' });
  peer.reply(invite, 486, { toTag: 'callee' });
  const firstAck = await peer.nextRequest('ACK');
  peer.reply(invite, 486, { toTag: 'callee' });
  const secondAck = await peer.nextRequest('ACK');
  expect(secondAck.message).toEqual(firstAck.message);
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(busyEvents).toHaveLength(1);
});

test('407 from a proxy: ACK it, resend the INVITE with Proxy-Authorization and a new CSeq', async () => {
  ua = await start();
  const call = ua.dial({ callId: 'd', number: '79991234567', ringTimeoutSec: 10 });
  const first = await peer.nextRequest('INVITE');
  peer.reply(first, 407, {
    toTag: 'proxy',
    headers: [['Proxy-Authenticate', 'Digest realm="proxy.test", nonce="n407", qop="auth"']],
  });
  await peer.nextRequest('ACK');
  const second = await peer.nextRequest('INVITE');
  expect(second.message.headers.get('call-id')).toBe(first.message.headers.get('call-id'));
  expect(tagOf(second.message.headers.get('from'))).toBe(tagOf(first.message.headers.get('from')));
  expect(parseCSeq(second.message.headers.get('cseq'))?.seq).toBe((parseCSeq(first.message.headers.get('cseq'))?.seq ?? 0) + 1);
  expect(topViaBranch(second.message)).not.toBe(topViaBranch(first.message));
  const auth = parseAuthParams(second.message.headers.get('proxy-authorization') ?? '');
  expect(auth).toMatchObject({ username: 'bot', realm: 'proxy.test', nonce: 'n407', uri: 'sip:79991234567@127.0.0.1', qop: 'auth' });
  // A second challenge for the same nonce means the password is wrong: give up.
  peer.reply(second, 407, { toTag: 'proxy', headers: [['Proxy-Authenticate', 'Digest realm="proxy.test", nonce="n407", qop="auth"']] });
  await expect(call.finished).resolves.toEqual({ type: 'error', status: 407, reason: '407 Proxy Authentication Required' });
});

test('hang-up before any provisional: CANCEL waits for one (100 Trying counts, RFC 3261 9.1), then matches the INVITE', async () => {
  ua = await start();
  const call = ua.dial({ callId: 'e', number: '100', ringTimeoutSec: 10 });
  const invite = await peer.nextRequest('INVITE');
  const hungUp = call.hangUp();
  await expect(call.finished).resolves.toMatchObject({ type: 'hangup', by: 'local' });
  await new Promise((resolve) => setTimeout(resolve, 3 * T1));
  expect(peer.all((m) => m.kind === 'request' && m.method === 'CANCEL')).toHaveLength(0);

  peer.reply(invite, 100);
  const cancel = await peer.nextRequest('CANCEL');
  expect(cancel.message.uri).toBe(invite.message.uri);
  expect(cancel.message.headers.getAll('via')).toEqual([invite.message.headers.getAll('via')[0]]);
  expect(cancel.message.headers.get('to')).toBe(invite.message.headers.get('to')); // no tag: like the INVITE
  expect(parseCSeq(cancel.message.headers.get('cseq'))).toEqual({ seq: parseCSeq(invite.message.headers.get('cseq'))?.seq, method: 'CANCEL' });
  peer.reply(cancel, 200, { toTag: 'callee' });
  peer.reply(invite, 487, { toTag: 'callee' });
  await peer.nextRequest('ACK');
  await hungUp;
});

test('a 200 OK that crosses our CANCEL is ACKed and the dialog ended with BYE', async () => {
  ua = await start();
  const call = ua.dial({ callId: 'f', number: '100', ringTimeoutSec: 1 });
  const invite = await peer.nextRequest('INVITE');
  peer.reply(invite, 180, { toTag: 'callee' });
  const cancel = await peer.nextRequest('CANCEL', 3000); // ring timeout
  await expect(call.finished).resolves.toEqual({ type: 'no_answer', reason: 'ring timeout after 1 s' });
  peer.reply(cancel, 200, { toTag: 'callee' });
  peer.reply(invite, 200, {
    toTag: 'callee',
    headers: [
      ['Contact', `<sip:callee@${PEER_ADDRESS}:${peer.port}>`],
      ['Content-Type', 'application/sdp'],
    ],
    body: answerSdp(40_000),
  });
  const ack = await peer.nextRequest('ACK');
  expect(ack.message.uri).toBe(`sip:callee@${PEER_ADDRESS}:${peer.port}`);
  const bye = await peer.nextRequest('BYE');
  expect(tagOf(bye.message.headers.get('to'))).toBe('callee');
  peer.reply(bye, 200);
  await call.closed;
});

test('in the dialog: re-INVITE answered 200 with our SDP (retransmitted until ACKed); BYE retransmission gets the same 200', async () => {
  ua = await start();
  const call = ua.dial({ callId: 'g', number: '100', ringTimeoutSec: 10 });
  const invite = await peer.nextRequest('INVITE');
  peer.reply(invite, 200, {
    toTag: 'callee',
    headers: [
      ['Contact', `<sip:callee@${PEER_ADDRESS}:${peer.port}>`],
      ['Content-Type', 'application/sdp'],
    ],
    body: answerSdp(40_000),
  });
  await peer.nextRequest('ACK');
  const ourPort = invite.from; // the UA's SIP socket

  // Session refresh with a new media port.
  const reinvite = inDialogRequest('INVITE', invite.message, 'callee', 1, 'z9hG4bKreinvite', answerSdp(40_010));
  peer.send(reinvite, ourPort);
  const ok = await peer.nextResponse(200);
  expect(parseCSeq(ok.message.headers.get('cseq'))).toEqual({ seq: 1, method: 'INVITE' });
  expect(ok.message.body.toString()).toMatch(/m=audio \d+ RTP\/AVP 0\r\n/);
  const retransmitted = await peer.nextResponse(200); // no ACK yet: timer G
  expect(retransmitted.message).toEqual(ok.message);
  const ack = inDialogRequest('ACK', invite.message, 'callee', 1, 'z9hG4bKack');
  peer.send(ack, ourPort);

  // The callee hangs up; its BYE is sent twice (as if our 200 were lost): answered twice, reported once.
  const hangups: unknown[] = [];
  call.on('hangup', (event) => hangups.push(event));
  const bye = inDialogRequest('BYE', invite.message, 'callee', 2, 'z9hG4bKbye');
  peer.send(bye, ourPort);
  peer.send(bye, ourPort);
  const byeOk1 = await peer.next((m) => m.kind === 'response' && parseCSeq(m.headers.get('cseq'))?.method === 'BYE', 'BYE 200');
  const byeOk2 = await peer.next((m) => m.kind === 'response' && parseCSeq(m.headers.get('cseq'))?.method === 'BYE', 'second BYE 200');
  expect(byeOk1.message).toMatchObject({ status: 200 });
  expect(byeOk2.message).toEqual(byeOk1.message);
  expect(hangups).toEqual([{ type: 'hangup', by: 'remote', reason: 'remote hang-up (BYE)' }]);
  // No more 200s for the re-INVITE once it was ACKed.
  const before = peer.all((m) => m.kind === 'response' && parseCSeq(m.headers.get('cseq'))?.method === 'INVITE').length;
  await new Promise((resolve) => setTimeout(resolve, 4 * T1));
  expect(peer.all((m) => m.kind === 'response' && parseCSeq(m.headers.get('cseq'))?.method === 'INVITE').length).toBe(before);
});

test('outside any call: OPTIONS 200, INVITE 480, unknown dialog 481, unknown method 405', async () => {
  ua = await start();
  const target = { address: UA_ADDRESS, port: ua.localPort };
  const request = (method: string, toTag?: string): SipRequest => ({
    kind: 'request',
    method,
    uri: `sip:bot@${UA_ADDRESS}:${ua?.localPort ?? 0}`,
    headers: new SipHeaders([
      ['Via', `SIP/2.0/UDP ${PEER_ADDRESS}:${peer.port};branch=z9hG4bK${method}${toTag ?? ''}`],
      ['From', '<sip:probe@127.0.0.1>;tag=p'],
      ['To', `<sip:bot@127.0.0.2>${toTag ? `;tag=${toTag}` : ''}`],
      ['Call-ID', `probe-${method}-${toTag ?? ''}`],
      ['CSeq', `1 ${method}`],
      ['Max-Forwards', '70'],
    ]),
    body: Buffer.alloc(0),
  });
  const statusFor = async (message: SipRequest): Promise<number> => {
    peer.send(message, target);
    const response = await peer.next((m) => m.kind === 'response' && m.headers.get('call-id') === message.headers.get('call-id'), `answer to ${message.method}`);
    return response.message.kind === 'response' ? response.message.status : 0;
  };
  expect(await statusFor(request('OPTIONS'))).toBe(200);
  expect(await statusFor(request('INVITE'))).toBe(480);
  expect(await statusFor(request('BYE', 'gone'))).toBe(481);
  expect(await statusFor(request('INFO', 'gone'))).toBe(481);
  expect(await statusFor(request('SUBSCRIBE'))).toBe(405);
});

test('CRLF keep-alives reach the server while idle (NAT binding), and stop on close', async () => {
  ua = await start({ natKeepAliveSec: 0.05 });
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(peer.keepAlives).toBeGreaterThanOrEqual(2);
  await ua.close();
  ua = undefined;
  const seen = peer.keepAlives;
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(peer.keepAlives).toBe(seen);
});
