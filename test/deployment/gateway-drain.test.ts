import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import type { CallSession } from '../../src/domain/call-session';
import { createMediaToken } from '../../src/media-gateway/media-token';
import { startCluster, type Cluster } from '../support/process-cluster';
import { eventually } from '../support/test-stack';
import { callSessionQuery } from '../../workflows/definitions';

// One media gateway process (SIMULATED provider, OpenAI EMULATOR) receiving SIGTERM mid-call, as a
// deploy or a scale-down does.
const INTERESTED = '+79990000001';

let c: Cluster;
beforeAll(async () => {
  c = await startCluster({ gateways: 1, media: 'voice', env: { CALL_MAX_DURATION_SEC: '60', MEDIA_GATEWAY_DRAIN_SEC: '60' } });
}, 180_000);
afterAll(async () => {
  await c?.stop();
});

test('SIGTERM drains a gateway: it takes no new media, the call on the line finishes normally, then the process exits', async () => {
  const gateway = c.gateways[0]!;
  const callId = await c.placeCall(INTERESTED);
  const handle = c.client.workflow.getHandle(callId);
  await eventually(async () => (await handle.query(callSessionQuery)).transcript.some((turn) => turn.speaker === 'user'), 60_000);
  const exited = new Promise<number | null>((resolve) => gateway.child.once('exit', (code) => resolve(code)));
  gateway.child.kill('SIGTERM');

  // A balancer's health check now sends nothing new here...
  const health = await eventually(async () => {
    const response = await fetch(`http://127.0.0.1:${gateway.port}/healthz`);
    return response.status === 503 ? ((await response.json()) as { status: string }) : undefined;
  }, 10_000);
  expect(health.status).toBe('draining');
  // ...and a provider's new media stream is turned away (close 1013: try again later, elsewhere).
  const otherCall = randomUUID();
  const ws = new WebSocket(`ws://127.0.0.1:${gateway.port}/telephony/audio/${otherCall}?token=${createMediaToken(otherCall, c.mediaTokenSecret, 60)}`);
  await new Promise<void>((resolve) => ws.once('open', () => resolve()));
  ws.send(JSON.stringify({ event: 'start', start: { mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000 } } }));
  const closeCode = await new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  expect(closeCode).toBe(1013);

  // The call already on the line talks to its end on this gateway.
  const session = (await handle.result()) as CallSession;
  expect(session).toMatchObject({ status: 'completed', end_reason: 'goodbye', final_disposition: 'interested', media_gateway: 'gw-1' });
  expect(await exited).toBe(0);
  expect((await c.rows()).filter((row) => row.call_id === callId)).toHaveLength(1);
}, 180_000);
