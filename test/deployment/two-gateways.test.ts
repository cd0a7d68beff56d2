import type { CallSession } from '../../src/domain/call-session';
import { startCluster, type Cluster } from '../support/process-cluster';
import { eventually } from '../support/test-stack';
import { callSessionQuery } from '../../workflows/definitions';

// Two media gateways, each its own process in its own working directory (no shared folder), behind
// one round-robin address; one general worker and one API; Temporal dev server; OpenAI EMULATOR;
// SIMULATED provider process whose callees speak over WebSocket media.
const INTERESTED = '+79990000001';
const NOT_INTERESTED = '+79990000005';
const CALL_LATER = '+79990000006';

let c: Cluster;
beforeAll(async () => {
  c = await startCluster({ gateways: 2, media: 'voice', env: { CALL_MAX_DURATION_SEC: '60' } });
}, 180_000);
afterAll(async () => {
  await c?.stop();
});

const result = (id: string) => c.client.workflow.getHandle(id).result() as Promise<CallSession>;

test('six voice calls land on both gateways; every turn runs on the queue of the gateway carrying its call; each call completes with one row', async () => {
  const phones = [INTERESTED, NOT_INTERESTED, CALL_LATER, INTERESTED, NOT_INTERESTED, CALL_LATER];
  const ids: string[] = [];
  for (const phone of phones) ids.push(await c.placeCall(phone));
  const sessions = await Promise.all(ids.map(result));
  expect(sessions.map((s) => s.status)).toEqual(Array(6).fill('completed'));
  expect(sessions.map((s) => s.final_disposition)).toEqual(['interested', 'not_interested', 'call_later', 'interested', 'not_interested', 'call_later']);
  expect(new Set(sessions.map((s) => s.media_gateway))).toEqual(new Set(['gw-1', 'gw-2']));
  for (const [i, id] of ids.entries()) {
    const history = await c.client.workflow.getHandle(id).fetchHistory();
    const turnQueues = (history.events ?? []).flatMap((e) => {
      const scheduled = e.activityTaskScheduledEventAttributes;
      return scheduled?.activityType?.name === 'hearAndReply' ? [scheduled.taskQueue?.name ?? ''] : [];
    });
    expect(turnQueues.length).toBeGreaterThanOrEqual(1);
    for (const queue of turnQueues) expect(queue).toContain(`-gateway-${sessions[i]!.media_gateway}-`);
  }
  const rows = await c.rows();
  for (const id of ids) expect(rows.filter((row) => row.call_id === id)).toHaveLength(1);
}, 240_000);

test('a gateway killed mid-call: its calls end within 10 s as failed / media_lost with one row and nothing unplayed in the transcript; the other gateway carries on', async () => {
  const ids: string[] = [];
  for (const phone of [INTERESTED, INTERESTED, INTERESTED, INTERESTED]) ids.push(await c.placeCall(phone));
  // Every call is talking: carried by a gateway, greeted, the callee heard at least once.
  const carried = await eventually(async () => {
    const sessions = await Promise.all(ids.map((id) => c.client.workflow.getHandle(id).query(callSessionQuery)));
    return sessions.every((s) => s.media_gateway && s.transcript.some((turn) => turn.speaker === 'user')) ? sessions : undefined;
  }, 60_000);
  const victims = ids.filter((_, i) => carried[i]!.media_gateway === 'gw-1');
  const survivors = ids.filter((_, i) => carried[i]!.media_gateway === 'gw-2');
  expect(victims.length).toBeGreaterThan(0);
  expect(survivors.length).toBeGreaterThan(0);

  const killedAt = Date.now();
  c.gateways[0]!.child.kill('SIGKILL');
  for (const id of victims) {
    const session = await result(id);
    expect(session).toMatchObject({ status: 'failed', end_reason: 'media_lost', final_disposition: 'unknown' });
    expect(Date.parse(session.ended_at!) - killedAt).toBeLessThan(10_000);
    // Nothing was "said" to the dead line: no re-prompt, fallback or goodbye after the kill.
    for (const turn of session.transcript.filter((t) => t.speaker === 'assistant')) expect(Date.parse(turn.timestamp)).toBeLessThanOrEqual(killedAt);
  }
  for (const id of survivors) expect(await result(id)).toMatchObject({ status: 'completed', media_gateway: 'gw-2' });
  const rows = await c.rows();
  for (const id of ids) expect(rows.filter((row) => row.call_id === id)).toHaveLength(1);
  for (const id of victims) expect(rows.find((row) => row.call_id === id)).toMatchObject({ status: 'failed' });
}, 240_000);
