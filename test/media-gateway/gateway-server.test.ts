import net from 'node:net';
import WebSocket from 'ws';
import { createLogger } from '../../src/logging/logger';
import { startMediaGateway, type MediaCallHandler, type MediaGateway } from '../../src/media-gateway/gateway-server';
import { createMediaToken } from '../../src/media-gateway/media-token';
import type { MediaSession } from '../../src/media-gateway/media-session';

const SECRET = 'media-secret-0123456789';
const CALL_A = '2f1e0c55-1b0a-4c3e-9a57-5d0c2b9a1e11';
const CALL_B = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const CALL_C = '0b7e2c1a-3d4f-4a5b-8c6d-7e8f9a0b1c2d';

interface Received {
  starts: string[];
  audio: { callId: string; bytes: number; first: number; missing: number }[];
  stops: { callId: string; reason: string }[];
  sessions: Map<string, MediaSession>;
}
const received: Received = { starts: [], audio: [], stops: [], sessions: new Map() };
const handler: MediaCallHandler = {
  onStart: (session) => {
    received.starts.push(session.callId);
    received.sessions.set(session.callId, session as MediaSession); // this gateway's legs are WebSocket sessions
  },
  onAudio: (session, payload, missing) => received.audio.push({ callId: session.callId, bytes: payload.length, first: payload[0] ?? -1, missing }),
  onStop: (session, reason) => received.stops.push({ callId: session.callId, reason }),
};

let gateway: MediaGateway;
beforeAll(async () => {
  gateway = await startMediaGateway({ port: 0, host: '127.0.0.1', tokenSecret: SECRET, logger: createLogger({ level: 'silent' }), handler, maxMessageBytes: 16_384 });
});
afterAll(() => gateway.close());

const connect = (callId: string, token: string | null = createMediaToken(callId, SECRET, 60), headers: Record<string, string> = {}, query = '') =>
  new WebSocket(`${gateway.url}/telephony/audio/${callId}${token ? `?token=${token}` : ''}${query}`, { headers });

const opened = (ws: WebSocket) =>
  new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
const refusedWith = (ws: WebSocket) =>
  new Promise<number>((resolve) => {
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
    });
    ws.once('open', () => resolve(101));
  });
const closedWith = (ws: WebSocket) => new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
const start = (encoding = 'ULAW', sampleRate = 8000) =>
  JSON.stringify({ event: 'start', sequenceNumber: 0, start: { mediaFormat: { encoding, sampleRate }, customParameters: '{"k":"v"}' } });
const media = (chunk: number, byte: number) =>
  JSON.stringify({ event: 'media', sequenceNumber: chunk, media: { chunk, timestamp: chunk * 160, payload: Buffer.alloc(160, byte).toString('base64') } });
const until = async (check: () => boolean) => {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
  expect(check()).toBe(true);
};

test('a connection without a valid token for that call is refused before the WebSocket opens', async () => {
  expect(await refusedWith(connect(CALL_A, null))).toBe(401);
  expect(await refusedWith(connect(CALL_A, createMediaToken(CALL_B, SECRET, 60)))).toBe(401);
  expect(await refusedWith(connect(CALL_A, createMediaToken(CALL_A, 'wrong-secret-0000', 60)))).toBe(401);
  expect(await refusedWith(connect(CALL_A, createMediaToken(CALL_A, SECRET, -1)))).toBe(401);
  const badPath = new WebSocket(`${gateway.url}/telephony/audio/not-a-call`);
  expect(await refusedWith(badPath)).toBe(404);
  // The bearer header works as well as the query parameter.
  const viaHeader = connect(CALL_C, null, { authorization: `Bearer ${createMediaToken(CALL_C, SECRET, 60)}` });
  expect(await refusedWith(viaHeader)).toBe(101);
  viaHeader.close();
  expect(received.starts).not.toContain(CALL_A);
});

test('audio flows in both directions; lost chunks are counted, not fatal', async () => {
  const ws = connect(CALL_A);
  await opened(ws);
  const fromGateway: any[] = [];
  ws.on('message', (data) => fromGateway.push(JSON.parse(data.toString())));
  ws.send(start());
  ws.send(media(1, 1));
  ws.send(media(2, 2));
  ws.send(media(5, 5)); // chunks 3 and 4 never arrived
  ws.send(Buffer.alloc(160, 9)); // a binary frame in the declared format
  await until(() => received.audio.filter((a) => a.callId === CALL_A).length === 4);
  expect(received.audio.filter((a) => a.callId === CALL_A).map((a) => [a.first, a.bytes, a.missing])).toEqual([
    [1, 160, 0],
    [2, 160, 0],
    [5, 160, 2],
    [9, 160, 0],
  ]);
  const session = received.sessions.get(CALL_A)!;
  expect(session.format).toEqual({ encoding: 'ULAW', sampleRate: 8000 });
  expect(session.stats.lostFrames).toBe(2);

  session.sendAudio(Buffer.alloc(160, 0x7f), 160);
  session.sendAudio(Buffer.alloc(160, 0x7f), 160);
  session.clear();
  await until(() => fromGateway.length === 4);
  expect(fromGateway.map((m) => m.event)).toEqual(['start', 'media', 'media', 'clear']);
  expect(fromGateway[0].start.mediaFormat).toEqual({ encoding: 'ULAW', sampleRate: 8000 });
  expect(fromGateway.slice(1, 3).map((m) => [m.media.chunk, m.media.timestamp])).toEqual([
    [1, 0],
    [2, 160],
  ]);
  expect(Buffer.from(fromGateway[1].media.payload, 'base64')).toEqual(Buffer.alloc(160, 0x7f));

  // A second connection for the same call is refused while the first streams.
  expect(await refusedWith(connect(CALL_A))).toBe(409);
  ws.send(JSON.stringify({ event: 'stop', sequenceNumber: 9 }));
  await until(() => received.stops.some((s) => s.callId === CALL_A));
  expect(received.stops.find((s) => s.callId === CALL_A)?.reason).toBe('stream stopped by provider');
});

test('garbage frames close that connection only; other calls keep streaming', async () => {
  const good = connect(CALL_B);
  await opened(good);
  good.send(start('PCM16', 16000));
  good.send(media(1, 1));
  await until(() => received.audio.some((a) => a.callId === CALL_B));

  for (const garbage of ['{not json', JSON.stringify({ event: 'media', media: { payload: '***' } }), JSON.stringify({ hello: 'world' })]) {
    const bad = connect(CALL_C);
    await opened(bad);
    bad.send(start());
    bad.send(garbage);
    expect(await closedWith(bad)).toBe(1007);
  }
  const early = connect(CALL_C);
  await opened(early);
  early.send(media(1, 1)); // media before start
  expect(await closedWith(early)).toBe(1002);
  const huge = connect(CALL_C);
  await opened(huge);
  huge.send(start());
  huge.send(Buffer.alloc(100_000));
  expect(await closedWith(huge)).toBe(1009);

  good.send(media(2, 2));
  await until(() => received.audio.filter((a) => a.callId === CALL_B).length === 2);
  expect(good.readyState).toBe(WebSocket.OPEN);
  good.close();
});

/** The refusal's status and JSON body. */
const refusal = (ws: WebSocket) =>
  new Promise<{ status: number; body: { error?: { code?: string; message?: string } } }>((resolve, reject) => {
    ws.once('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) }));
    });
    ws.once('open', () => reject(new Error('the connection was accepted')));
  });

/** A raw HTTP upgrade request; resolves with what the server answered before it closed the connection. */
const rawUpgrade = (target: string, extraHeaders = '') =>
  new Promise<string>((resolve, reject) => {
    const socket = net.connect(gateway.port, '127.0.0.1', () =>
      socket.write(
        `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extraHeaders}\r\n`,
      ),
    );
    let answer = '';
    socket.on('data', (c: Buffer) => (answer += c.toString()));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
const healthy = async () => {
  const res = await fetch(`http://127.0.0.1:${gateway.port}/healthz`);
  return res.status === 200 && ((await res.json()) as { status?: string }).status === 'ok';
};

test('an unknown dialect is refused with 400 before the WebSocket opens; a named one is accepted', async () => {
  const unknown = await refusal(connect(CALL_A, undefined, {}, '&dialect=twilio'));
  expect(unknown.status).toBe(400);
  expect(unknown.body.error?.code).toBe('unknown_dialect');
  expect(unknown.body.error?.message).toContain('voximplant');
  expect((await refusal(connect(CALL_A, undefined, {}, '&dialect='))).body.error?.code).toBe('unknown_dialect');
  // Without a valid token the token is what is wrong.
  expect((await refusal(connect(CALL_A, null, {}, '?dialect=twilio'))).status).toBe(401);

  const explicit = connect(CALL_C, undefined, {}, '&dialect=standard');
  expect(await refusedWith(explicit)).toBe(101);
  explicit.close();
  await until(() => !gateway.sessions.get(CALL_C)?.open);
});

test('dialect=voximplant: the same stream in, our barge-in goes out as the scenario\'s customEvent', async () => {
  const callId = '5d3c2b1a-0f9e-4d8c-b7a6-958473625140';
  const ws = connect(callId, undefined, {}, '&dialect=voximplant');
  await opened(ws);
  const fromGateway: any[] = [];
  ws.on('message', (data) => fromGateway.push(JSON.parse(data.toString())));
  ws.send(start());
  ws.send(media(1, 4));
  await until(() => received.audio.some((a) => a.callId === callId));
  const session = received.sessions.get(callId)!;
  expect(session.dialect).toBe('voximplant');
  expect(session.customParameters).toEqual({ k: 'v' });
  session.sendAudio(Buffer.alloc(160, 0x7f), 160);
  session.clear();
  await until(() => fromGateway.length === 3);
  expect(fromGateway.map((m) => m.event ?? m.customEvent)).toEqual(['start', 'media', 'clear']);
  expect(fromGateway[2]).toEqual({ customEvent: 'clear' });
  ws.send(JSON.stringify({ event: 'stop', sequenceNumber: 2, stop: { mediaInfo: { duration: 20 } } }));
  await until(() => received.stops.some((s) => s.callId === callId));
});

test('an upgrade the URL parser chokes on (path //) gets an HTTP error answer, and the gateway keeps serving', async () => {
  for (const target of ['//', '//x/telephony/audio', `//${CALL_A}`]) {
    const answer = await rawUpgrade(target);
    expect(answer).toMatch(/^HTTP\/1\.1 4\d\d /);
  }
  expect(await rawUpgrade('//')).toMatch(/^HTTP\/1\.1 400 .*"code":"bad_request"/s);
  expect(await healthy()).toBe(true);
  const ws = connect(CALL_C);
  expect(await refusedWith(ws)).toBe(101);
  ws.close();
  await until(() => !gateway.sessions.get(CALL_C)?.open);
});

test('a client that resets its connection around a refused upgrade does not take the gateway down', async () => {
  const errors: unknown[] = [];
  const onUncaught = (err: unknown) => errors.push(err);
  process.on('uncaughtException', onUncaught);
  try {
    for (let round = 0; round < 5; round++) {
      // Reset once the 401 arrived …
      await new Promise<void>((resolve, reject) => {
        const socket = net.connect(gateway.port, '127.0.0.1', () =>
          socket.write(`GET /telephony/audio/${CALL_A} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`),
        );
        socket.once('data', (c: Buffer) => {
          expect(c.toString()).toMatch(/^HTTP\/1\.1 401 /);
          socket.resetAndDestroy();
          resolve();
        });
        socket.once('error', reject);
      });
      // … and right after sending the request, before the answer (the server writes to a reset socket).
      await new Promise<void>((resolve) => {
        const socket = net.connect(gateway.port, '127.0.0.1', () => {
          socket.write(`GET /telephony/audio/${CALL_A}?token=x HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`, () => {
            socket.resetAndDestroy();
            resolve();
          });
        });
        socket.on('error', () => undefined);
      });
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(await healthy()).toBe(true);
    expect(errors).toEqual([]);
  } finally {
    process.off('uncaughtException', onUncaught);
  }
});
