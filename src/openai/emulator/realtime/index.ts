import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { Logger } from '../../../logging/logger';
import { openAIErrorBody } from '../request-schema';
import { getPhraseRecognizer } from '../speech/recognizer';
import { RealtimeFaults, type RealtimeFault } from './faults';
import { RealtimeSession } from './realtime-session';

/**
 * The EMULATED OpenAI Realtime API (GA protocol, not OpenAI): `GET /v1/realtime` upgraded to a
 * WebSocket, `?model=...` for a speech-to-speech session or `?intent=transcription` for streaming
 * transcription. See realtime-session.ts for what a session does.
 */

export const REALTIME_PATH = '/v1/realtime';

export { type RealtimeFault, type RealtimeDropOn } from './faults';
export { listenDualProtocol, type DualProtocolListener } from './dual-protocol-listener';
export { generateEmulatorCertificate, writeCaFile, type EmulatorCertificate } from './tls-certificate';

export interface RealtimeEventRecord {
  sessionId: string;
  direction: 'client' | 'server';
  /** The event type only: never the audio or text. */
  type: string;
}

export interface RealtimeEndpointOptions {
  logger?: Logger;
  latency?: { realtimeTranscriptMs?: number; realtimeFirstAudioMs?: number; ttsPacing?: number };
  /** Phrase bank and threshold of the input transcription (as the REST transcription endpoint's). */
  extraPhrases?: readonly string[];
  matchThreshold?: number;
  /** Sent on every handshake answer, accepted or refused (e.g. x-emulator). */
  headers: Record<string, string>;
  /** Called on each upgrade request, before it is accepted or refused. */
  recordRequest(record: { method: string; path: string; body: unknown }): void;
  /** A REST fault for this handshake: wait `delayMs`, then refuse with `status` (or go on without one). */
  takeFault?(path: string, body: unknown): { delayMs?: number; status?: number; body?: unknown; headers: Record<string, string> } | undefined;
}

export interface RealtimeEndpoint {
  /** For `http.Server`'s 'upgrade' event (any path; only /v1/realtime is accepted). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  events: RealtimeEventRecord[];
  injectFault(fault: RealtimeFault): void;
  clearFaults(): void;
  /** Terminates every session. */
  close(): void;
}

export function createRealtimeEndpoint(options: RealtimeEndpointOptions): RealtimeEndpoint {
  const { logger } = options;
  const events: RealtimeEventRecord[] = [];
  const faults = new RealtimeFaults();
  const sessions = new Set<RealtimeSession>();
  const latency = {
    transcriptMs: Math.max(0, options.latency?.realtimeTranscriptMs ?? 0),
    firstAudioMs: Math.max(0, options.latency?.realtimeFirstAudioMs ?? 0),
    ttsPacing: Math.max(0, options.latency?.ttsPacing ?? 0),
  };
  let counter = 0;
  const nextId = (prefix: string) => `${prefix}_emu${(++counter).toString(36).padStart(6, '0')}`;
  const headerLines = Object.entries(options.headers).map(([name, value]) => `${name}: ${value}`);
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  wss.on('headers', (headers) => headers.push(...headerLines));

  const refuse = (socket: Duplex, status: number, body: unknown, extraHeaders: Record<string, string> = {}) => {
    if (socket.destroyed) return;
    const payload = JSON.stringify(body);
    const head = [
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
      ...headerLines,
      ...Object.entries(extraHeaders).map(([name, value]) => `${name}: ${value}`),
      'content-type: application/json; charset=utf-8',
      `content-length: ${Buffer.byteLength(payload)}`,
      'connection: close',
    ];
    socket.once('finish', () => socket.destroy());
    socket.end(`${head.join('\r\n')}\r\n\r\n${payload}`);
  };

  const handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://emulator.local');
    } catch {
      refuse(socket, 400, openAIErrorBody('Invalid request path (emulator).', 'invalid_request_error'));
      return;
    }
    const query = Object.fromEntries(url.searchParams);
    options.recordRequest({ method: req.method ?? 'GET', path: url.pathname, body: { query } });
    const fault = options.takeFault?.(url.pathname, { query });
    if (fault) {
      const go = () => {
        if (fault.status !== undefined) refuse(socket, fault.status, fault.body, fault.headers);
        else accept(req, socket, head, url);
      };
      if (fault.delayMs) {
        const timer = setTimeout(go, fault.delayMs);
        socket.once('close', () => clearTimeout(timer));
      } else go();
      return;
    }
    accept(req, socket, head, url);
  };

  const accept = (req: IncomingMessage, socket: Duplex, head: Buffer, url: URL) => {
    if (socket.destroyed) return;
    if (url.pathname !== REALTIME_PATH) {
      refuse(socket, 404, openAIErrorBody(`Invalid URL (${req.method ?? 'GET'} ${url.pathname}) (emulator).`, 'invalid_request_error'));
      return;
    }
    const refusal = faults.take('refuse');
    if (refusal) {
      logger?.info({ status: refusal.status }, 'openai emulator realtime: injected fault, refusing the upgrade');
      refuse(socket, refusal.status, openAIErrorBody(`Emulated fault with status ${refusal.status}.`, refusal.status >= 500 ? 'server_error' : 'invalid_request_error'));
      return;
    }
    if (!/^Bearer\s+\S+/i.test(req.headers.authorization ?? '')) {
      refuse(
        socket,
        401,
        openAIErrorBody(
          "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (emulator).",
          'invalid_request_error',
          'missing_api_key',
        ),
      );
      return;
    }
    const model = url.searchParams.get('model');
    const intent = url.searchParams.get('intent');
    const targets = [model !== null, intent !== null, url.searchParams.has('call_id')].filter(Boolean).length;
    if (targets !== 1 || model === '' || (intent !== null && intent !== 'transcription') || url.searchParams.has('call_id')) {
      refuse(
        socket,
        400,
        openAIErrorBody("Pass exactly one of '?model=<realtime model>' or '?intent=transcription' (call_id is not emulated) (emulator).", 'invalid_request_error', 'invalid_value', 'model'),
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const session: RealtimeSession = new RealtimeSession({
        id: nextId('sess'),
        kind: model !== null ? 'realtime' : 'transcription',
        model,
        socket: ws,
        ...(logger ? { logger } : {}),
        latency,
        recognizer: () => getPhraseRecognizer(options.extraPhrases ?? [], options.matchThreshold),
        nextId,
        faults,
        record: (direction, type) => events.push({ sessionId: session.id, direction, type }),
        onClosed: () => {
          sessions.delete(session);
          logger?.debug({ session: session.id }, 'openai emulator realtime: session closed');
        },
      });
      sessions.add(session);
      logger?.debug({ session: session.id, model, intent }, 'openai emulator realtime: session opened (emulated Realtime API)');
      session.start();
    });
  };

  return {
    handleUpgrade,
    events,
    injectFault: (fault) => faults.inject(fault),
    clearFaults: () => faults.clear(),
    close() {
      for (const session of [...sessions]) session.terminate();
      sessions.clear();
      wss.close();
    },
  };
}
