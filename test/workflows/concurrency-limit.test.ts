import type { CallSession } from '../../src/domain/call-session';
import { callSessionQuery } from '../../workflows/definitions';
import { startTestStack, type TestStack } from '../support/test-stack';

let t: TestStack;
beforeAll(async () => {
  t = await startTestStack({ limits: { maxConcurrentCalls: 2 } });
}, 90_000);
afterAll(async () => {
  await t?.stop();
});

test('calls beyond the limit are accepted, wait in order, and never more than the limit are on the line', async () => {
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) ids.push(await t.placeCall('+79990000005')); // not interested: short calls

  let maxOnLine = 0;
  let sawQueued = false;
  const ended = new Set<string>();
  const firstOnLine = new Map<string, number>();
  const deadline = Date.now() + 60_000;
  while (ended.size < ids.length && Date.now() < deadline) {
    let onLine = 0;
    for (const id of ids) {
      if (ended.has(id)) continue;
      const handle = t.stack.client.workflow.getHandle(id);
      const description = await handle.describe();
      if (description.status.name !== 'RUNNING') {
        ended.add(id);
        continue;
      }
      const session: CallSession = await handle.query(callSessionQuery);
      if (session.queued) sawQueued = true;
      if (!session.queued && ['dialing', 'in_progress'].includes(session.status)) {
        onLine++;
        if (!firstOnLine.has(id)) firstOnLine.set(id, Date.now());
      }
    }
    maxOnLine = Math.max(maxOnLine, onLine);
    await new Promise((r) => setTimeout(r, 50));
  }

  expect(ended.size).toBe(5);
  expect(maxOnLine).toBe(2);
  expect(sawQueued).toBe(true);
  // The last two calls reached the line only after the first ones.
  expect(firstOnLine.get(ids[4]!)!).toBeGreaterThan(firstOnLine.get(ids[0]!)!);
  const sessions = await Promise.all(ids.map((id) => t.waitForEnd(id)));
  expect(sessions.map((s) => s.status)).toEqual(Array(5).fill('completed'));
  const rows = await t.rows();
  expect(ids.map((id) => rows.filter((row) => row.call_id === id).length)).toEqual([1, 1, 1, 1, 1]);
}, 90_000);
