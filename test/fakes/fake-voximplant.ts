/**
 * A local Voximplant written from its documented protocols, for tests (a fixture, not product code):
 *  - the Management API's `StartScenarios` (form POST, `Authorization: Bearer <JWT>` checked for
 *    real: RS256 signature with the service account's public key, `kid`, `iss`, `exp`; rule id;
 *    `script_custom_data` <= 200 bytes), answering the media session URLs;
 *  - VoxEngine: OUR SHIPPED SCENARIO FILE runs in a `node:vm` context with emulated VoxEngine objects
 *    (AppEvents, CallEvents, WebSocketEvents, WebSocketAudioEncoding, Net.httpRequestAsync, Logger),
 *    so its event posts, its session lookup and its hang-up handling are exercised as written;
 *  - `callPSTN` reaches a virtual PSTN callee (answers and talks from a script, is busy, fails with a
 *    SIP code, or rings forever) whose voice is eSpeak NG Russian;
 *  - media over WebSocket in Voximplant's JSON format (start / media / stop, base64 payloads, chunk and
 *    timestamp counters, customParameters as a JSON string), a playout buffer of 10 s for what the
 *    gateway sends, `clearMediaBuffer()`, and `AppEvents.HttpRequest` for requests to the session URL.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { verify, type KeyObject } from 'node:crypto';
import vm from 'node:vm';
import WebSocket from 'ws';
import type { MediaFormat } from '../../src/audio';
import { CalleeVoice } from '../../src/telephony/simulated/callee-voice';

export type FakePstnCallee =
  | { kind: 'answers'; lines: string[]; thinkMs?: number; hangUpAfterLastLine?: boolean; interruptSecondPhrase?: boolean }
  | { kind: 'fails'; code: number; reason: string }
  | { kind: 'rings' };

export interface FakeVoximplantOptions {
  accountId: number;
  keyId: string;
  publicKey: KeyObject;
  ruleId: number;
  scenarioPath: string;
  /** What the scenario's constants become (a user edits them before uploading). */
  backendUrl: () => string;
  webhookSecret: string;
  callee: (phone: string) => FakePstnCallee;
}

const ENCODINGS: Record<string, { wire: { encoding: string; sampleRate: number }; format: MediaFormat }> = {
  ULAW: { wire: { encoding: 'ULAW', sampleRate: 8000 }, format: { encoding: 'mulaw', sampleRate: 8000 } },
  ALAW: { wire: { encoding: 'ALAW', sampleRate: 8000 }, format: { encoding: 'alaw', sampleRate: 8000 } },
  PCM16_8KHZ: { wire: { encoding: 'PCM16', sampleRate: 8000 }, format: { encoding: 'pcm16', sampleRate: 8000 } },
  PCM16_16KHZ: { wire: { encoding: 'PCM16', sampleRate: 16000 }, format: { encoding: 'pcm16', sampleRate: 16000 } },
};
const PLAYOUT_LIMIT_FRAMES = 500; // 10 s of 20 ms frames

type Listener = (event: Record<string, unknown>) => void;

class Emitter {
  private readonly listeners = new Map<string, Listener[]>();
  addEventListener(name: string, fn: Listener) {
    this.listeners.set(name, [...(this.listeners.get(name) ?? []), fn]);
  }
  removeEventListener(name: string) {
    this.listeners.delete(name);
  }
  fire(name: string, event: Record<string, unknown> = {}) {
    for (const fn of this.listeners.get(name) ?? []) {
      try {
        const result = fn(event) as unknown;
        if (result instanceof Promise) result.catch((err: unknown) => console.error('scenario handler failed', err));
      } catch (err) {
        console.error('scenario handler failed', err);
      }
    }
  }
}

/** Everything one scenario run did, for the test's assertions. */
export interface FakeSession {
  id: number;
  customData: string;
  callId: string | null;
  phone: string | null;
  callerId: string | null;
  events: string[];
  /** `call.hangup()` calls made by the scenario. */
  hangups: number;
  /** Requests to the session's media URL. */
  httpCommands: string[];
  clears: number;
  /** What the callee heard, ms of audio, and the lines it said. */
  heardMs: () => number;
  said: string[];
  mediaFormat: { encoding: string; sampleRate: number } | null;
  customParameters: string | null;
  terminated: boolean;
  /** The callee hangs up now. */
  remoteHangUp(): void;
}

export interface FakeVoximplant {
  apiUrl: string;
  startRequests: Array<{ ok: boolean; error?: string; ruleId?: string; customData?: string }>;
  sessions: FakeSession[];
  sessionFor(callId: string): FakeSession | undefined;
  close(): Promise<void>;
}

export async function startFakeVoximplant(options: FakeVoximplantOptions): Promise<FakeVoximplant> {
  const scenarioSource = readFileSync(options.scenarioPath, 'utf8');
  const startRequests: FakeVoximplant['startRequests'] = [];
  const sessions: FakeSession[] = [];
  const runtimes = new Map<number, { app: Emitter; stop: () => void }>();
  let baseUrl = '';

  function checkJwt(header: string | undefined): string | null {
    const token = /^Bearer (.+)$/.exec(header ?? '')?.[1];
    if (!token) return 'no bearer token';
    const [h, c, s] = token.split('.');
    if (!h || !c || !s) return 'malformed JWT';
    const head = JSON.parse(Buffer.from(h, 'base64url').toString()) as { alg?: string; kid?: string };
    const claims = JSON.parse(Buffer.from(c, 'base64url').toString()) as { iss?: number; iat?: number; exp?: number };
    if (head.alg !== 'RS256') return 'alg must be RS256';
    if (head.kid !== options.keyId) return 'unknown kid';
    if (!verify('RSA-SHA256', Buffer.from(`${h}.${c}`), options.publicKey, Buffer.from(s, 'base64url'))) return 'bad signature';
    const now = Date.now() / 1000;
    if (claims.iss !== options.accountId) return 'iss is not the account id';
    if (typeof claims.iat !== 'number' || claims.iat > now + 5) return 'iat in the future';
    if (typeof claims.exp !== 'number' || claims.exp < now || claims.exp > claims.iat + 3600) return 'bad exp';
    return null;
  }

  function runScenario(session: FakeSession): void {
    const app = new Emitter();
    const timers = new Set<NodeJS.Timeout>();
    let call: FakeCall | null = null;
    const stopAll = () => {
      for (const timer of timers) clearTimeout(timer);
      call?.stopMedia();
    };
    const later = (fn: () => void, ms: number) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        fn();
      }, ms);
      timers.add(timer);
      return timer;
    };

    class FakeWebSocket extends Emitter {
      readonly socket: WebSocket;
      playout: Buffer[] = [];
      playingTo: FakeCall | null = null;
      constructor(url: string) {
        super();
        this.socket = new WebSocket(url);
        this.socket.on('open', () => this.fire('WebSocketEvents.OPEN'));
        this.socket.on('error', (err) => this.fire('WebSocketEvents.ERROR', { reason: String(err) }));
        this.socket.on('close', (code, reason) => this.fire('WebSocketEvents.CLOSE', { code, reason: reason.toString() }));
        this.socket.on('message', (data, isBinary) => {
          if (isBinary) return;
          const text = data.toString();
          const message = JSON.parse(text) as { event?: string; media?: { payload?: string } };
          if (message.event === 'media' && message.media?.payload) {
            // Played to the callee in real time; Voximplant's buffer holds 10 s and drops the excess.
            if (this.playingTo && this.playout.length < PLAYOUT_LIMIT_FRAMES) this.playout.push(Buffer.from(message.media.payload, 'base64'));
            return;
          }
          if (message.event === 'start' || message.event === 'stop') return;
          this.fire('WebSocketEvents.MESSAGE', { text });
        });
      }
      send(text: string) {
        if (this.socket.readyState === WebSocket.OPEN) this.socket.send(text);
      }
      sendMediaTo(target: FakeCall) {
        this.playingTo = target;
      }
      clearMediaBuffer() {
        session.clears += 1;
        this.playout = [];
      }
      close() {
        this.socket.close(1000);
      }
    }

    class FakeCall extends Emitter {
      private connected = false;
      private ended = false;
      private voice: CalleeVoice | null = null;
      private mediaTimer: NodeJS.Timeout | null = null;
      private nextLine = 0;
      private operatorPhrases = 0;
      constructor(
        readonly number: string,
        private readonly callee: FakePstnCallee,
      ) {
        super();
        later(() => {
          if (this.ended) return;
          this.fire('CallEvents.Ringing');
          later(() => this.progress(), 400);
        }, 200);
      }
      private progress() {
        if (this.ended) return;
        if (this.callee.kind === 'fails') {
          this.ended = true;
          this.fire('CallEvents.Failed', { code: this.callee.code, reason: this.callee.reason });
        } else if (this.callee.kind === 'answers') {
          this.connected = true;
          this.fire('CallEvents.Connected');
        }
      }
      hangup() {
        session.hangups += 1;
        if (this.ended) return;
        this.ended = true;
        this.stopMedia();
        if (this.connected) this.fire('CallEvents.Disconnected');
        else this.fire('CallEvents.Failed', { code: 487, reason: 'Request Terminated' });
      }
      remoteHangUp() {
        if (this.ended || !this.connected) return;
        this.ended = true;
        this.stopMedia();
        this.fire('CallEvents.Disconnected');
      }
      /** The callee's audio to the WebSocket, 20 ms chunks in real time; what comes back is played to the callee. */
      sendMediaTo(ws: FakeWebSocket, params: { encoding?: string; customParameters?: Record<string, string> }) {
        const encoding = ENCODINGS[params.encoding ?? ''] ?? ENCODINGS.PCM16_8KHZ!;
        session.mediaFormat = encoding.wire;
        session.customParameters = JSON.stringify(params.customParameters ?? {});
        const script = this.callee.kind === 'answers' ? this.callee : null;
        this.voice = new CalleeVoice({
          format: encoding.format,
          onOperatorPhraseEnd: () => this.respond(),
          onOperatorSpeechStart: () => {
            this.operatorPhrases += 1;
            // Talks over the operator's second phrase (barge-in).
            if (script?.interruptSecondPhrase && this.operatorPhrases === 2 && this.nextLine === 1) later(() => this.sayNext(), 900);
          },
        });
        let seq = 0;
        ws.send(JSON.stringify({ event: 'start', sequenceNumber: seq++, start: { mediaFormat: encoding.wire, customParameters: session.customParameters } }));
        const t0 = performance.now();
        let frame = 0;
        const tick = () => {
          if (this.ended || ws.socket.readyState !== WebSocket.OPEN) return;
          const due = Math.floor((performance.now() - t0) / 20);
          while (frame <= due) {
            const payload = this.voice!.nextFrame();
            ws.send(JSON.stringify({ event: 'media', sequenceNumber: seq++, media: { chunk: frame + 1, timestamp: frame * 20, payload: payload.toString('base64') } }));
            const heard = ws.playout.shift();
            if (heard) this.voice!.hear(heard);
            frame += 1;
          }
          this.mediaTimer = setTimeout(tick, Math.max(1, t0 + frame * 20 - performance.now()));
        };
        tick();
        session.heardMs = () => this.voice?.heardMs() ?? 0;
        this.stopMedia = () => {
          if (this.mediaTimer) clearTimeout(this.mediaTimer);
          this.mediaTimer = null;
          if (ws.socket.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ event: 'stop', sequenceNumber: seq++, stop: { mediaInfo: { duration: frame * 20 } } }));
        };
      }
      stopMedia: () => void = () => undefined;
      private respond() {
        const script = this.callee.kind === 'answers' ? this.callee : null;
        if (!script || this.ended) return;
        if (this.nextLine >= script.lines.length) {
          if (script.hangUpAfterLastLine) later(() => this.remoteHangUp(), 300);
          return;
        }
        later(() => this.sayNext(), script.thinkMs ?? 300);
      }
      private sayNext() {
        const script = this.callee.kind === 'answers' ? this.callee : null;
        if (!script || this.ended || this.nextLine >= script.lines.length || !this.voice) return;
        const line = script.lines[this.nextLine++]!;
        session.said.push(line);
        void this.voice.say(line);
      }
    }

    const VoxEngine = {
      addEventListener: (name: string, fn: Listener) => app.addEventListener(name, fn),
      customData: () => session.customData,
      callPSTN: (number: string, callerId: string) => {
        session.phone = number;
        session.callerId = callerId;
        call = new FakeCall(number, options.callee(number));
        session.remoteHangUp = () => call?.remoteHangUp();
        return call;
      },
      createWebSocket: (url: string) => new FakeWebSocket(url),
      terminate: () => {
        session.terminated = true;
        stopAll();
        runtimes.delete(session.id);
      },
    };
    const Net = {
      async httpRequestAsync(url: string, opts: { method?: string; headers?: string[]; postData?: string } = {}) {
        const headers: Record<string, string> = {};
        for (const line of opts.headers ?? []) {
          const at = line.indexOf(':');
          headers[line.slice(0, at).trim()] = line.slice(at + 1).trim();
        }
        const response = await fetch(url, { method: opts.method ?? 'GET', headers, body: opts.postData });
        const text = await response.text();
        if (opts.method === 'POST' && url.endsWith('/telephony/events/voximplant')) {
          const sent = JSON.parse(opts.postData ?? '{}') as { event?: string; code?: number };
          session.events.push(sent.code ? `${sent.event}:${sent.code}` : String(sent.event));
        }
        return { code: response.status, text, headers: [] };
      },
    };
    const names = (prefix: string, keys: string[]) => Object.fromEntries(keys.map((k) => [k, `${prefix}.${k}`]));
    const context = vm.createContext({
      VoxEngine,
      Net,
      Logger: { write: () => undefined },
      AppEvents: names('AppEvents', ['Started', 'HttpRequest', 'Terminating']),
      CallEvents: names('CallEvents', ['Ringing', 'Connected', 'Disconnected', 'Failed', 'AudioStarted']),
      WebSocketEvents: names('WebSocketEvents', ['OPEN', 'MESSAGE', 'CLOSE', 'ERROR']),
      WebSocketAudioEncoding: Object.fromEntries(Object.keys(ENCODINGS).map((k) => [k, k])),
      setTimeout: later,
      clearTimeout: (timer: NodeJS.Timeout) => {
        clearTimeout(timer);
        timers.delete(timer);
      },
    });
    // As a user would before uploading: the two constants set to this deployment.
    const source = scenarioSource
      .replace(/const BACKEND_URL = '[^']*';/, `const BACKEND_URL = ${JSON.stringify(options.backendUrl())};`)
      .replace(/const WEBHOOK_SECRET = '[^']*';/, `const WEBHOOK_SECRET = ${JSON.stringify(options.webhookSecret)};`);
    vm.runInContext(source, context, { filename: 'voice-caller-outbound.voxengine.js' });
    runtimes.set(session.id, { app, stop: stopAll });
    app.fire('AppEvents.Started', { accessURL: `${baseUrl}/sessions/${session.id}`, accessSecureURL: `${baseUrl}/sessions/${session.id}` });
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      const reply = (status: number, json: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
      const url = new URL(req.url ?? '/', baseUrl);
      if (req.method === 'POST' && /^\/platform_api\/StartScenarios\/?$/.test(url.pathname)) {
        const form = new URLSearchParams(body);
        const jwtError = checkJwt(req.headers.authorization);
        const customData = form.get('script_custom_data') ?? '';
        const error =
          jwtError ??
          (form.get('rule_id') !== String(options.ruleId) ? 'unknown rule_id' : Buffer.byteLength(customData) > 200 ? 'script_custom_data over 200 bytes' : null);
        startRequests.push({ ok: error === null, ...(error ? { error } : {}), ruleId: form.get('rule_id') ?? undefined, customData });
        // Voximplant reports API errors with HTTP 200 and an error object.
        if (error) return reply(200, { error: { code: jwtError ? 100 : 104, msg: error } });
        const session: FakeSession = {
          id: sessions.length + 1,
          customData,
          callId: (JSON.parse(customData || '{}') as { call_id?: string }).call_id ?? null,
          phone: null,
          callerId: null,
          events: [],
          hangups: 0,
          httpCommands: [],
          clears: 0,
          heardMs: () => 0,
          said: [],
          mediaFormat: null,
          customParameters: null,
          terminated: false,
          remoteHangUp: () => undefined,
        };
        sessions.push(session);
        const mediaUrl = `${baseUrl}/sessions/${session.id}`;
        reply(200, { result: 1, media_session_access_url: mediaUrl, media_session_access_secure_url: mediaUrl, call_session_history_id: 9000 + session.id });
        setImmediate(() => runScenario(session));
        return;
      }
      const sessionId = /^\/sessions\/(\d+)$/.exec(url.pathname)?.[1];
      if (sessionId) {
        const runtime = runtimes.get(Number(sessionId));
        if (!runtime) return reply(404, { error: 'session ended' });
        sessions[Number(sessionId) - 1]!.httpCommands.push(body);
        runtime.app.fire('AppEvents.HttpRequest', { content: body, method: req.method, path: url.pathname });
        return reply(200, { result: 'ok' });
      }
      reply(404, { error: 'not found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    apiUrl: `${baseUrl}/platform_api`,
    startRequests,
    sessions,
    sessionFor: (callId) => sessions.find((s) => s.callId === callId),
    close: async () => {
      for (const runtime of runtimes.values()) runtime.stop();
      runtimes.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    },
  };
}
