import { Writable } from 'node:stream';
import { createLogger } from '../../src/logging/logger';
import { startTestStack, TEST_API_KEY, TEST_WEBHOOK_SECRET, type TestStack } from '../support/test-stack';

const OPENAI_KEY = 'sk-test-secret-openai-key-000111';

let t: TestStack;
beforeAll(async () => {
  t = await startTestStack({ env: { TELEPHONY_API_KEY: 'telephony-secret-key-987' } });
}, 90_000);
afterAll(async () => {
  await t?.stop();
});

const find = (msg: string, callId: string) => t.logs.filter((l) => l.msg === msg && l.call_id === callId);

test('spec 8.2 log points for a call, with call_id on each', async () => {
  const callId = await t.placeCall('+79990000005');
  await t.waitForEnd(callId);

  expect(find('call requested', callId)[0]).toMatchObject({ level: 'info', phone: '+79990000005' });
  const events = find('telephony event', callId).map((l) => l.event);
  expect(events).toEqual(expect.arrayContaining(['ringing', 'answered', 'hangup']));
  expect(find('dialog started', callId)).toHaveLength(1);
  expect(find('dialog ended', callId)).toHaveLength(1);
  expect(find('call result row written', callId)[0]).toMatchObject({ level: 'info', status: 'completed', final_disposition: 'not_interested' });
});

test('OpenAI errors are logged at ERROR with the stage', async () => {
  t.stack.openai.emulator!.injectFault({ path: '/v1/chat/completions', status: 500, times: 4 });
  const callId = await t.placeCall('+79990000005');
  await t.waitForEnd(callId);
  t.stack.openai.emulator!.clearFaults();
  expect(find('speech provider request failed', callId)[0]).toMatchObject({ level: 'error', provider: 'openai', stage: 'LLM', kind: 'server_error' });
});

test('secrets never appear in the logs', () => {
  const all = t.rawLogs.join('');
  for (const secret of [TEST_API_KEY, TEST_WEBHOOK_SECRET, 'telephony-secret-key-987']) expect(all).not.toContain(secret);
});

test('the logger scrubs configured secrets wherever they appear', () => {
  const lines: string[] = [];
  const logger = createLogger({
    secrets: [OPENAI_KEY, '-----BEGIN PRIVATE KEY-----\nMIIabc\n-----END PRIVATE KEY-----\n'],
    destination: new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    }),
  });
  logger.info({ note: `key=${OPENAI_KEY}`, headers: { authorization: 'Bearer abc', 'x-api-key': 'k' } }, `calling with ${OPENAI_KEY}`);
  logger.error({ err: new Error(`bad key ${OPENAI_KEY}`), private_key: '-----BEGIN PRIVATE KEY-----\nMIIabc\n-----END PRIVATE KEY-----\n' }, 'failed');
  const out = lines.join('');
  expect(out).not.toContain(OPENAI_KEY);
  expect(out).not.toContain('MIIabc');
  expect(out).not.toContain('Bearer abc');
  expect(out).toContain('[REDACTED]');
});
