import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import { createLogger } from '../../../src/logging/logger';
import { parseSimulatedConfig } from '../../../src/telephony/simulated/callee-behaviours';
import { startSimulatedProvider, type RunningSimulatedProvider } from '../../../src/telephony/simulated/provider-server';
import { RemoteSimulatedTelephony } from '../../../src/telephony/simulated/remote-simulated-telephony';
import { eventually } from '../../support/test-stack';

// The simulated provider as a process of its own (what `npm run bench` runs): our adapter drives it
// over HTTP like a real provider's API; it reports to our webhook and streams to our gateway.
const API_KEY = 'provider-api-key-0123456789';
const WEBHOOK_SECRET = 'webhook-secret-0123456789';
let provider: RunningSimulatedProvider;
let webhook: Server;
let webhookUrl: string;
const events: { body: { call_id: string; event: string }; secret: string | undefined }[] = [];
let media: WebSocketServer;
const lines = new Map<string, { socket: WebSocket; messages: { event: string; start?: { mediaFormat?: { encoding?: string } } }[] }>();

beforeAll(async () => {
  provider = await startSimulatedProvider({ config: { ...parseSimulatedConfig(JSON.stringify({ ringAfterMs: 20, answerAfterMs: 50 })) }, webhookSecret: WEBHOOK_SECRET, apiKey: API_KEY, logger: createLogger({ level: 'silent' }) });
  webhook = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      events.push({ body: JSON.parse(text) as { call_id: string; event: string }, secret: req.headers['x-webhook-secret'] as string | undefined });
      res.writeHead(200).end('{}');
    });
  });
  await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
  webhookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/telephony/events`;
  media = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  media.on('connection', (socket, req) => {
    const callId = /\/telephony\/audio\/([^?]+)/.exec(req.url ?? '')![1]!;
    const line = { socket, messages: [] as { event: string }[] };
    lines.set(callId, line);
    socket.on('message', (data) => line.messages.push(JSON.parse(data.toString()) as { event: string }));
  });
  await new Promise<void>((resolve) => media.once('listening', () => resolve()));
});
afterAll(async () => {
  await provider?.close();
  await new Promise((resolve) => webhook?.close(resolve));
  await new Promise((resolve) => media?.close(resolve));
});

const adapter = () =>
  new RemoteSimulatedTelephony({
    providerUrl: provider.url,
    apiKey: API_KEY,
    eventsUrl: webhookUrl,
    mediaUrlFor: (callId) => `ws://127.0.0.1:${(media.address() as AddressInfo).port}/telephony/audio/${callId}?token=t`,
    logger: createLogger({ level: 'silent' }),
  });
const eventsOf = (callId: string) => events.filter((e) => e.body.call_id === callId).map((e) => e.body.event);

test('a busy number rings and reports busy to our webhook, signed with the webhook secret', async () => {
  const callId = randomUUID();
  await adapter().initiateCall({ callId, phone: '+79990000002', ringTimeoutSec: 30 });
  await eventually(() => eventsOf(callId).includes('busy'));
  expect(eventsOf(callId)).toEqual(['ringing', 'busy']);
  expect(events.filter((e) => e.body.call_id === callId).every((e) => e.secret === WEBHOOK_SECRET)).toBe(true);
});

test('an answered call opens the media stream before reporting the answer, and our hang-up ends it', async () => {
  const callId = randomUUID();
  const telephony = adapter();
  await telephony.initiateCall({ callId, phone: '+79990000001', ringTimeoutSec: 30 });
  await eventually(() => eventsOf(callId).includes('answered'));
  const line = lines.get(callId)!;
  expect(line.messages[0]).toMatchObject({ event: 'start', start: { mediaFormat: { encoding: 'ULAW' } } });
  await eventually(() => line.messages.filter((m) => m.event === 'media').length > 10); // 20 ms frames in real time
  await telephony.hangUp(callId, 'test');
  await eventually(() => eventsOf(callId).includes('hangup'));
  expect(line.messages.at(-1)).toMatchObject({ event: 'stop' });
  expect(await telephony.callRecord(callId)).toMatchObject({ call_id: callId, behaviour: 'interested', ended: true, ear: { replies: [] } });
});

test('bad requests get a machine-readable error, never a stack trace', async () => {
  const post = (path: string, body: string, key = API_KEY) =>
    fetch(`${provider.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body });
  const unauthorized = await post('/v1/calls', '{}', 'wrong-key-0123456789xxxxxx');
  expect(unauthorized.status).toBe(401);
  expect(await unauthorized.json()).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
  const invalid = await post('/v1/calls', JSON.stringify({ call_id: 'nope', phone: '123' }));
  expect(invalid.status).toBe(400);
  const body = (await invalid.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe('invalid_request');
  expect(body.error.message).toMatch(/call_id/);
  expect(body.error.message).toMatch(/phone/);
  expect((await post('/v1/calls', '{not json')).status).toBe(400);
  const down = await post('/v1/calls', JSON.stringify({ call_id: randomUUID(), phone: '+79990000011', ring_timeout_sec: 30, events_url: webhookUrl, media_url: 'ws://127.0.0.1:1/x' }));
  expect(down.status).toBe(503);
  expect(((await down.json()) as { error: { code: string } }).error.code).toBe('provider_unavailable');
  const unknown = await fetch(`${provider.url}/v1/calls/${randomUUID()}`, { headers: { authorization: `Bearer ${API_KEY}` } });
  expect(unknown.status).toBe(404);
});
