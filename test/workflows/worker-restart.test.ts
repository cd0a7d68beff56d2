import { callSessionQuery } from '../../workflows/definitions';
import { startCallWorkflow } from '../support/call-input';
import { eventually, sleep, startTestStack, type TestStack } from '../support/test-stack';

let t: TestStack;
beforeAll(async () => {
  t = await startTestStack();
}, 90_000);
afterAll(async () => {
  await t?.stop();
});

test('a worker restarted in the middle of a call: the call still ends with exactly one row', async () => {
  const callId = await startCallWorkflow(t.stack.client, t.stack.config.env.TEMPORAL_TASK_QUEUE, '+79990000001', {
    maxConversationSec: 8,
  });
  const handle = t.stack.client.workflow.getHandle(callId);
  await eventually(async () => {
    const session = await handle.query(callSessionQuery);
    return session.status === 'in_progress' && session.transcript.length >= 2;
  });

  // The worker (and with it the simulated line) goes away mid-conversation.
  await t.stack.worker.shutdown();
  await t.stack.worker.run();
  await sleep(1000);
  expect((await handle.describe()).status.name).toBe('RUNNING');

  const second = await t.stack.startWorker();
  try {
    const session = await t.waitForEnd(callId);
    // The durable 8 s timer survived the restart and closed the call.
    expect(session.status).toBe('completed');
    expect(session.end_reason).toBe('time_limit');
    const rows = (await t.rows()).filter((row) => row.call_id === callId);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.status).toBe('completed');
  } finally {
    await second.shutdown();
    await second.run().catch(() => undefined);
  }
}, 90_000);
