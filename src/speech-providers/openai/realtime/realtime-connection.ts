import type { IncomingMessage } from 'node:http';
import type OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import type { RealtimeClientEvent, RealtimeServerEvent, SessionUpdateEvent } from 'openai/resources/realtime/realtime';
import type { Logger } from '../../../logging/logger';
import { SpeechProviderError, type ProviderErrorKind, type SpeechStage } from '../../provider-error';
import { OPENAI } from '../openai-errors';

/** Where a Realtime session goes: a model (speech-to-speech, read-aloud) or a transcription session. */
export type RealtimeTarget = { model: string } | { intent: 'transcription' };

export interface RealtimeConnectOptions {
  client: OpenAI;
  target: RealtimeTarget;
  /** Sent as the first `session.update`; the connection is ready once the server confirms it. */
  session: SessionUpdateEvent['session'];
  /** The stage a failure is reported as (TTS, STT, LLM). */
  stage: SpeechStage;
  /** Time limit for the WebSocket handshake and the session's confirmation. */
  timeoutMs: number;
  /**
   * A certificate to trust for the `wss://` connection besides the system's (the local emulator's
   * self-signed one; child processes get NODE_EXTRA_CA_CERTS instead). Unset for api.openai.com.
   */
  tlsCa?: string;
  signal?: AbortSignal;
  logger?: Logger;
}

type ServerEventListener = (event: RealtimeServerEvent) => void;

/**
 * One WebSocket session of OpenAI's Realtime API through the official SDK client
 * (`openai/realtime/ws`), with what every realtime provider here needs around it: open-and-configure
 * as one awaitable step, events by type, an awaitable "next event that matches", and every failure
 * (refused handshake, server `error` event, dropped socket, timeout, abort) as a `SpeechProviderError`.
 */
export class RealtimeConnection {
  private readonly listeners = new Set<ServerEventListener>();
  private readonly closeListeners = new Set<(error: SpeechProviderError) => void>();
  private closedWith: SpeechProviderError | null = null;
  private eventCounter = 0;

  private constructor(
    private readonly rt: OpenAIRealtimeWS,
    private readonly stage: SpeechStage,
    private readonly logger: Logger | undefined,
  ) {}

  /** Opens the WebSocket, sends the session configuration and waits for `session.updated`. */
  static async open(options: RealtimeConnectOptions): Promise<RealtimeConnection> {
    const { stage } = options;
    if (options.signal?.aborted) throw cancelled(stage);
    const rt = new OpenAIRealtimeWS(
      { ...options.target, ...(options.tlsCa ? { options: { ca: options.tlsCa } } : {}) },
      options.client,
    );
    const connection = new RealtimeConnection(rt, stage, options.logger);
    connection.wire();
    const opened = new Promise<void>((resolve) => rt.socket.once('open', () => resolve()));
    try {
      await connection.within(opened, options.timeoutMs, options.signal, 'the Realtime session did not open');
      const configured = connection.next((event) => event.type === 'session.updated', { timeoutMs: options.timeoutMs, ...(options.signal ? { signal: options.signal } : {}) });
      connection.send({ type: 'session.update', session: options.session });
      await configured;
      return connection;
    } catch (err) {
      connection.close();
      throw err;
    }
  }

  /** Sends a client event with an id of ours (a server `error` event names it). Returns the id. */
  send(event: RealtimeClientEvent): string {
    const eventId = event.event_id ?? `evt_local_${++this.eventCounter}`;
    if (this.closedWith) throw this.closedWith;
    this.rt.send({ ...event, event_id: eventId } as RealtimeClientEvent);
    return eventId;
  }

  /** Every server event (errors included) until the returned function is called. */
  onEvent(listener: ServerEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called once when the session ends for any reason (its failure, or our close). */
  onClose(listener: (error: SpeechProviderError) => void): () => void {
    if (this.closedWith) {
      listener(this.closedWith);
      return () => undefined;
    }
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  get isOpen(): boolean {
    return this.closedWith === null;
  }

  /**
   * The next server event that satisfies `match`. Rejects on a server `error` event about one of
   * `failOn` (client event ids), on timeout, abort or a closed session.
   */
  next<T extends RealtimeServerEvent>(
    match: (event: RealtimeServerEvent) => event is T,
    options?: { timeoutMs?: number; signal?: AbortSignal; failOn?: readonly string[] },
  ): Promise<T>;
  next(match: (event: RealtimeServerEvent) => boolean, options?: { timeoutMs?: number; signal?: AbortSignal; failOn?: readonly string[] }): Promise<RealtimeServerEvent>;
  next(match: (event: RealtimeServerEvent) => boolean, options: { timeoutMs?: number; signal?: AbortSignal; failOn?: readonly string[] } = {}): Promise<RealtimeServerEvent> {
    let off = () => undefined as unknown;
    const found = new Promise<RealtimeServerEvent>((resolve, reject) => {
      off = this.onEvent((event) => {
        if (event.type === 'error' && options.failOn?.includes(event.error.event_id ?? '')) reject(fromServerError(this.stage, event.error));
        else if (match(event)) resolve(event);
      });
    });
    return this.within(found, options.timeoutMs, options.signal, 'no answer from the Realtime session').finally(() => off());
  }

  /** Closes the session from our side (normal closure). */
  close(): void {
    if (!this.closedWith) this.finish(new SpeechProviderError({ kind: 'cancelled', stage: this.stage, provider: OPENAI, message: `${this.stage}: the Realtime session was closed`, retryable: false }));
    try {
      this.rt.close({ code: 1000, reason: 'done' });
    } catch {
      // already closed
    }
  }

  /** `promise`, or a SpeechProviderError on timeout, abort or the session's end (whichever comes first). */
  async within<T>(promise: Promise<T>, timeoutMs: number | undefined, signal: AbortSignal | undefined, what: string): Promise<T> {
    if (this.closedWith) throw this.closedWith;
    if (signal?.aborted) throw cancelled(this.stage);
    let timer: NodeJS.Timeout | undefined;
    let offClose = () => undefined as unknown;
    let onAbort = () => undefined as unknown;
    const failure = new Promise<never>((_resolve, reject) => {
      if (timeoutMs !== undefined) {
        timer = setTimeout(
          () => reject(new SpeechProviderError({ kind: 'timeout', stage: this.stage, provider: OPENAI, message: `${this.stage} failed (timeout): ${what} within ${timeoutMs} ms`, retryable: true })),
          timeoutMs,
        );
      }
      offClose = this.onClose(reject);
      onAbort = () => reject(cancelled(this.stage));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([promise, failure]);
    } finally {
      clearTimeout(timer);
      offClose();
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private wire(): void {
    const { rt } = this;
    rt.on('event', (event: RealtimeServerEvent) => {
      for (const listener of [...this.listeners]) listener(event);
    });
    // Server `error` events reach the listeners above as events; this one only keeps the SDK from
    // raising them as unhandled rejections, and logs transport failures.
    rt.on('error', (err) => {
      if (err.error) return;
      this.logger?.debug({ stage: this.stage, err_message: err.message }, 'realtime transport error');
    });
    // A refused handshake: the status (and Retry-After) decide whether a retry may help.
    rt.socket.on('unexpected-response', (request, response: IncomingMessage) => {
      this.finish(fromHandshake(this.stage, response));
      response.resume();
      request.destroy();
    });
    rt.socket.on('error', (err: Error) => this.finish(new SpeechProviderError({ kind: 'connection', stage: this.stage, provider: OPENAI, message: `${this.stage} failed (connection): ${err.message}`, retryable: true, cause: err })));
    rt.socket.on('close', (code: number, reason: Buffer) =>
      this.finish(
        new SpeechProviderError({
          kind: code === 1000 ? 'cancelled' : 'connection',
          stage: this.stage,
          provider: OPENAI,
          message: `${this.stage} failed (connection): the Realtime session closed (${code}${reason.length > 0 ? ` ${reason.toString('utf8').slice(0, 120)}` : ''})`,
          retryable: code !== 1000,
        }),
      ),
    );
  }

  private finish(error: SpeechProviderError): void {
    if (this.closedWith) return;
    this.closedWith = error;
    for (const listener of [...this.closeListeners]) listener(error);
    this.closeListeners.clear();
    this.listeners.clear();
  }
}

function cancelled(stage: SpeechStage): SpeechProviderError {
  return new SpeechProviderError({ kind: 'cancelled', stage, provider: OPENAI, message: `${stage} cancelled`, retryable: false });
}

function kindOfStatus(status: number): ProviderErrorKind {
  if (status === 429) return 'rate_limited';
  if (status === 401 || status === 403) return 'auth';
  if (status === 408) return 'timeout';
  if (status >= 500) return 'server_error';
  if (status >= 400) return 'bad_request';
  return 'unknown';
}

/** A handshake answered with an HTTP error instead of 101. */
function fromHandshake(stage: SpeechStage, response: IncomingMessage): SpeechProviderError {
  const status = response.statusCode ?? 0;
  const kind = kindOfStatus(status);
  const retryable = status === 408 || status === 409 || status === 429 || status >= 500;
  const retryAfterMs = retryAfterOf(response.headers);
  return new SpeechProviderError({
    kind,
    stage,
    provider: OPENAI,
    status,
    message: `${stage} failed (${kind}): the Realtime handshake was answered ${status}`,
    retryable,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}

function retryAfterOf(headers: IncomingMessage['headers']): number | undefined {
  const ms = Number(headers['retry-after-ms']);
  if (Number.isFinite(ms) && ms > 0) return ms;
  const seconds = Number(headers['retry-after']);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}

/** A server `error` event about one of our requests. */
export function fromServerError(stage: SpeechStage, error: { type: string; code?: string | null; message: string }): SpeechProviderError {
  const code = error.code ?? '';
  const kind: ProviderErrorKind =
    code === 'rate_limit_exceeded' ? 'rate_limited' : code === 'insufficient_quota' ? 'quota' : error.type === 'server_error' ? 'server_error' : error.type === 'invalid_request_error' ? 'bad_request' : 'unknown';
  return new SpeechProviderError({
    kind,
    stage,
    provider: OPENAI,
    message: `${stage} failed (${kind}): ${error.message.slice(0, 300)}${code ? ` [${code}]` : ''}`,
    retryable: kind === 'rate_limited' || kind === 'server_error',
  });
}
