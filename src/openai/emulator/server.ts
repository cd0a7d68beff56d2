import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Logger } from '../../logging/logger';
import { completionBody, completionChunks, emulateCompletion, estimateTokens } from './completion';
import { ChatRequestSchema, openAIErrorBody, requestErrorBody } from './request-schema';
import { createSpeechRoutes, type SpeechRouteOptions } from './speech';
import {
  createRealtimeEndpoint,
  generateEmulatorCertificate,
  listenDualProtocol,
  writeCaFile,
  type RealtimeEventRecord,
  type RealtimeFault,
} from './realtime';

/**
 * A local, OpenAI-compatible EMULATOR (not the OpenAI API) used by tests and by the demo when no
 * OPENAI_API_KEY is set. Every response carries `x-emulator: openai-emulator` and model names are
 * prefixed `emulated-`. It listens on 127.0.0.1 only: plain HTTP for REST, and TLS on the same port for
 * the Realtime WebSocket (`wss://.../v1/realtime`, realtime/), with a throwaway self-signed certificate.
 */
export const EMULATOR_HEADER = 'x-emulator';
export const EMULATOR_HEADER_VALUE = 'openai-emulator';
export const CHAT_COMPLETIONS_PATH = '/v1/chat/completions';

const MAX_BODY_BYTES = 30 * 1024 * 1024;
/** What a profile's 429 asks the client to wait (OpenAI sends retry-after-ms in this range). */
const RATE_LIMIT_RETRY_AFTER_MS = 200;

export interface EmulatorFault {
  /** Request path the fault applies to, e.g. '/v1/chat/completions'; '*' matches every path. */
  path: typeof CHAT_COMPLETIONS_PATH | (string & {});
  /** Error status to answer with; without it the request is handled normally (after `delayMs`). */
  status?: number;
  /** Sent as `retry-after` (and `retry-after-ms`). */
  retryAfterSeconds?: number;
  /** Wait this long before answering (response headers included), to trigger client timeouts. */
  delayMs?: number;
  /** Error body; default an OpenAI-shaped error for the status. */
  body?: unknown;
  /** How many requests it applies to; default 1. */
  times?: number;
  /** `error.code` of the default body, e.g. 'insufficient_quota'. */
  code?: string;
  /** Only requests whose (recorded) body satisfies this are faulted, e.g. classification calls only. */
  when?: (body: unknown) => boolean;
}

export interface EmulatorRequestRecord {
  method: string;
  path: string;
  /** Parsed JSON; the raw text when it is not valid JSON; `{contentType, bytes}` for other bodies. */
  body: unknown;
}

export interface EmulatorRouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  rawBody: Buffer;
  /** The recorded body (parsed JSON when the request was JSON). */
  body: unknown;
  sendJson(status: number, body: unknown, headers?: Record<string, string>): void;
}

/** Extra endpoints (e.g. audio) mounted on the same emulator; auth and faults apply to them too. */
export interface EmulatorRoute {
  method: string;
  path: string;
  handle(ctx: EmulatorRouteContext): void | Promise<void>;
}

export interface OpenAIEmulatorOptions {
  port?: number;
  logger?: Logger;
  /** ttsFirstByteMs / ttsPacing / sttMs: see SpeechRouteLatency (speech/routes.ts). */
  /** rateLimitEvery: every Nth API request is answered 429 with `retry-after-ms` (the `slow` profile's occasional rate limits; not WebSockets). */
  /** realtimeTranscriptMs: Realtime input_audio_buffer.commit -> transcription completed; realtimeFirstAudioMs: response.create -> first audio delta. */
  latency?: {
    chatFirstTokenMs?: number;
    perTokenMs?: number;
    ttsFirstByteMs?: number;
    ttsPacing?: number;
    sttMs?: number;
    rateLimitEvery?: number;
    realtimeTranscriptMs?: number;
    realtimeFirstAudioMs?: number;
  };
  /** Mounted before the default routes, so they can replace them. */
  routes?: EmulatorRoute[];
  /** The default /v1/audio/speech and /v1/audio/transcriptions (espeak-ng stand-ins); false leaves them out. */
  speech?: false | Omit<SpeechRouteOptions, 'latency' | 'logger'>;
}

export interface OpenAIEmulator {
  /** Base URL for the SDK, ending in /v1. */
  url: string;
  port: number;
  /** Every request that reached the emulator, in order (faulted ones included). */
  requests: EmulatorRequestRecord[];
  /** PEM of the emulator's self-signed TLS certificate, for the Realtime client's `ca` option. */
  tlsCa: string;
  /** The same PEM in a file (removed on close), for child processes' NODE_EXTRA_CA_CERTS. */
  caFile: string;
  /** Realtime events in and out of every session, types only. */
  realtimeEvents: RealtimeEventRecord[];
  injectFault(fault: EmulatorFault): void;
  injectRealtimeFault(fault: RealtimeFault): void;
  /** Clears REST and Realtime faults. */
  clearFaults(): void;
  close(): Promise<void>;
}

const DEFAULT_ERRORS: Record<number, { message: string; type: string; code: string | null }> = {
  400: { message: 'Bad request (emulated fault).', type: 'invalid_request_error', code: null },
  401: { message: 'Incorrect API key provided (emulated fault).', type: 'invalid_request_error', code: 'invalid_api_key' },
  403: { message: 'Permission denied (emulated fault).', type: 'invalid_request_error', code: null },
  408: { message: 'Request timed out (emulated fault).', type: 'server_error', code: null },
  429: { message: 'Rate limit reached (emulated fault).', type: 'requests', code: 'rate_limit_exceeded' },
  500: { message: 'The server had an error while processing your request (emulated fault).', type: 'server_error', code: null },
  503: { message: 'The engine is currently overloaded (emulated fault).', type: 'server_error', code: null },
};

function faultBody(fault: EmulatorFault, status: number): unknown {
  if (fault.body !== undefined) return fault.body;
  if (fault.code === 'insufficient_quota') {
    return openAIErrorBody('You exceeded your current quota (emulated fault).', 'insufficient_quota', 'insufficient_quota');
  }
  const known = DEFAULT_ERRORS[status] ?? { message: `Emulated fault with status ${status}.`, type: status >= 500 ? 'server_error' : 'invalid_request_error', code: null };
  return openAIErrorBody(known.message, known.type, fault.code ?? known.code);
}

export async function startOpenAIEmulator(options: OpenAIEmulatorOptions = {}): Promise<OpenAIEmulator> {
  const logger = options.logger;
  const firstTokenMs = options.latency?.chatFirstTokenMs ?? 0;
  const perTokenMs = options.latency?.perTokenMs ?? 0;
  const requests: EmulatorRequestRecord[] = [];
  const faults: { fault: EmulatorFault; remaining: number }[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let completionCounter = 0;
  let apiRequestCounter = 0;
  let closed = false;

  /** Resolves after `ms`, or early (false) when the client has gone away or the emulator closes. */
  const wait = (ms: number, res: ServerResponse): Promise<boolean> =>
    new Promise((resolve) => {
      if (ms <= 0) return resolve(!res.destroyed);
      const timer = setTimeout(() => {
        timers.delete(timer);
        res.off('close', onClose);
        resolve(!res.destroyed && !closed);
      }, ms);
      const onClose = () => {
        clearTimeout(timer);
        timers.delete(timer);
        resolve(false);
      };
      timers.add(timer);
      res.once('close', onClose);
    });

  const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    if (res.headersSent || res.destroyed) return;
    const payload = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload), ...headers });
    res.end(payload);
  };

  const matches = (fault: EmulatorFault, path: string, body: unknown): boolean => {
    if (fault.path !== path && fault.path !== '*') return false;
    if (!fault.when) return true;
    try {
      return fault.when(body);
    } catch {
      return false;
    }
  };

  const takeFault = (path: string, body: unknown): EmulatorFault | undefined => {
    const index = faults.findIndex((entry) => matches(entry.fault, path, body));
    const entry = faults[index];
    if (!entry) return undefined;
    entry.remaining -= 1;
    if (entry.remaining <= 0) faults.splice(index, 1);
    return entry.fault;
  };

  const handleChat = async (res: ServerResponse, body: unknown) => {
    if (typeof body === 'string' || body === undefined) {
      sendJson(res, 400, openAIErrorBody('We could not parse the JSON body of your request (emulator).', 'invalid_request_error'));
      return;
    }
    const parsed = ChatRequestSchema.safeParse(body);
    if (!parsed.success) {
      sendJson(res, 400, requestErrorBody(parsed.error));
      return;
    }
    const request = parsed.data;
    // As the API for reasoning models: sampling settings only without reasoning.
    if (request.reasoning_effort && request.reasoning_effort !== 'none' && request.temperature !== undefined && request.temperature !== null && request.temperature !== 1) {
      sendJson(res, 400, openAIErrorBody(`Unsupported value: 'temperature' is only supported with reasoning_effort 'none' (emulator).`, 'invalid_request_error', 'unsupported_value', 'temperature'));
      return;
    }
    const result = emulateCompletion(request);
    completionCounter += 1;
    const id = `chatcmpl-emulated-${completionCounter}`;
    const created = Math.floor(Date.now() / 1000);
    logger?.debug({ model: request.model, stream: request.stream === true, finish: result.finishReason }, 'openai emulator: chat completion');

    if (request.stream !== true) {
      if (!(await wait(firstTokenMs + perTokenMs * estimateTokens(result.content), res))) return;
      sendJson(res, 200, completionBody(id, created, request.model, result));
      return;
    }
    const chunks = completionChunks(id, created, request.model, result, request.stream_options?.include_usage === true);
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
    if (!(await wait(firstTokenMs, res))) return;
    for (const [index, chunk] of chunks.entries()) {
      // Each chunk carries a word; the model takes perTokenMs for each of its tokens (a Russian word is 2-3).
      const piece = (chunk as { choices?: { delta?: { content?: string } }[] }).choices?.[0]?.delta?.content ?? '';
      if (index > 1 && !(await wait(perTokenMs * (piece ? estimateTokens(piece) : 1), res))) return;
      res.write(`data: ${JSON.stringify(chunk)}\n\n`);
    }
    res.end('data: [DONE]\n\n');
  };

  const routes = [
    ...(options.routes ?? []),
    ...(options.speech === false ? [] : createSpeechRoutes({ ...options.speech, latency: options.latency, logger })),
  ];

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    res.setHeader(EMULATOR_HEADER, EMULATOR_HEADER_VALUE);
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://emulator.local').pathname;

    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) {
        sendJson(res, 413, openAIErrorBody('Request body too large (emulator).', 'invalid_request_error'));
        return;
      }
      chunks.push(chunk as Buffer);
    }
    const rawBody = Buffer.concat(chunks);
    const contentType = req.headers['content-type'] ?? '';
    let body: unknown;
    if (rawBody.length === 0) body = undefined;
    else if (contentType.includes('json') || contentType === '') {
      const text = rawBody.toString('utf8');
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    } else body = { contentType, bytes: rawBody.length };
    requests.push({ method, path, body });

    const rateLimitEvery = options.latency?.rateLimitEvery ?? 0;
    if (rateLimitEvery > 0 && path.startsWith('/v1/') && ++apiRequestCounter % rateLimitEvery === 0) {
      logger?.info({ path }, 'openai emulator: latency profile rate limit (429)');
      sendJson(res, 429, faultBody({ path, status: 429 }, 429), { 'retry-after': '1', 'retry-after-ms': String(RATE_LIMIT_RETRY_AFTER_MS) });
      return;
    }
    const fault = takeFault(path, body);
    if (fault) {
      logger?.info({ path, status: fault.status, delayMs: fault.delayMs }, 'openai emulator: injecting fault');
      if (fault.delayMs && !(await wait(fault.delayMs, res))) return;
      if (fault.status !== undefined) {
        const headers: Record<string, string> = {};
        if (fault.retryAfterSeconds !== undefined) {
          headers['retry-after'] = String(fault.retryAfterSeconds);
          headers['retry-after-ms'] = String(Math.round(fault.retryAfterSeconds * 1000));
        }
        sendJson(res, fault.status, faultBody(fault, fault.status), headers);
        return;
      }
    }

    const authorization = req.headers.authorization ?? '';
    if (!/^Bearer\s+\S+/i.test(authorization)) {
      sendJson(
        res,
        401,
        openAIErrorBody(
          "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (emulator).",
          'invalid_request_error',
          'missing_api_key',
        ),
      );
      return;
    }

    const route = routes.find((r) => r.method.toUpperCase() === method && r.path === path);
    if (route) {
      await route.handle({ req, res, rawBody, body, sendJson: (status, payload, headers) => sendJson(res, status, payload, headers) });
      return;
    }
    if (method === 'POST' && path === CHAT_COMPLETIONS_PATH) return handleChat(res, body);
    sendJson(res, 404, openAIErrorBody(`Invalid URL (${method} ${path}) (emulator).`, 'invalid_request_error'));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger?.error({ err }, 'openai emulator: handler failed');
      if (!res.headersSent) sendJson(res, 500, openAIErrorBody('Emulator internal error.', 'server_error'));
      else res.destroy();
    });
  });

  const realtime = createRealtimeEndpoint({
    ...(logger ? { logger } : {}),
    ...(options.latency ? { latency: options.latency } : {}),
    ...(options.speech !== false && options.speech?.extraPhrases ? { extraPhrases: options.speech.extraPhrases } : {}),
    ...(options.speech !== false && options.speech?.matchThreshold !== undefined ? { matchThreshold: options.speech.matchThreshold } : {}),
    headers: { [EMULATOR_HEADER]: EMULATOR_HEADER_VALUE },
    recordRequest: (record) => requests.push(record),
    // The REST faults ('*' or '/v1/realtime') apply to the handshake too: a refused or stalled upgrade.
    takeFault: (path, body) => {
      const fault = takeFault(path, body);
      if (!fault) return undefined;
      logger?.info({ path, status: fault.status, delayMs: fault.delayMs }, 'openai emulator: injecting fault (realtime handshake)');
      const headers: Record<string, string> = {};
      if (fault.retryAfterSeconds !== undefined) {
        headers['retry-after'] = String(fault.retryAfterSeconds);
        headers['retry-after-ms'] = String(Math.round(fault.retryAfterSeconds * 1000));
      }
      return {
        ...(fault.delayMs !== undefined ? { delayMs: fault.delayMs } : {}),
        ...(fault.status !== undefined ? { status: fault.status, body: faultBody(fault, fault.status) } : {}),
        headers,
      };
    },
  });
  server.on('upgrade', (req: IncomingMessage, socket, head: Buffer) => realtime.handleUpgrade(req, socket, head));

  const certificate = await generateEmulatorCertificate();
  const ca = await writeCaFile(certificate.cert);
  const listener = await listenDualProtocol({ httpServer: server, tls: certificate, host: '127.0.0.1', port: options.port ?? 0 }).catch(async (err: unknown) => {
    await ca.remove();
    throw err;
  });
  const port = listener.port;
  const url = `http://127.0.0.1:${port}/v1`;
  logger?.info(
    { url, realtime_url: `wss://127.0.0.1:${port}/v1/realtime`, ca_file: ca.caFile },
    'OpenAI EMULATOR listening (local stand-in, not the OpenAI API; Realtime WebSocket over TLS with a self-signed certificate)',
  );

  return {
    url,
    port,
    requests,
    tlsCa: certificate.cert,
    caFile: ca.caFile,
    realtimeEvents: realtime.events,
    injectFault(fault) {
      faults.push({ fault, remaining: Math.max(1, fault.times ?? 1) });
    },
    injectRealtimeFault(fault) {
      realtime.injectFault(fault);
    },
    clearFaults() {
      faults.length = 0;
      realtime.clearFaults();
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      realtime.close();
      await listener.close();
      await ca.remove();
    },
  };
}
