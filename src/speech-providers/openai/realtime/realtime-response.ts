import type { RealtimeAudioFormats, RealtimeResponseCreateParams, RealtimeServerEvent } from 'openai/resources/realtime/realtime';
import { SpeechProviderError, type SpeechStage } from '../../provider-error';
import { OPENAI } from '../openai-errors';
import { decodeRealtimeAudio, sampleRateOf } from './realtime-audio';
import type { RealtimeConnection } from './realtime-connection';

/** How long a cancelled response may hold the session before the next one goes ahead anyway. */
const CANCEL_SETTLE_MS = 2000;

/** What a finished (or stopped) response said. */
export interface ResponseOutcome {
  /** The model's transcript of its audio (`response.output_audio_transcript.done`, else its deltas so far); null when none came. */
  transcript: string | null;
  /** The assistant item it added to the conversation (null out of band or before it was created). */
  itemId: string | null;
  /** All its audio arrived (not cancelled, not failed). */
  completed: boolean;
  /** Audio received, in ms. */
  audioMs: number;
}

export function cancelledError(stage: SpeechStage): SpeechProviderError {
  return new SpeechProviderError({ kind: 'cancelled', stage, provider: OPENAI, message: `${stage} cancelled`, retryable: false });
}

/**
 * The API runs one response at a time per session: responses queue here, and a cancelled one
 * holds the session until the server confirms its end.
 */
export class ResponseQueue {
  private previous: Promise<void> = Promise.resolve();

  /** Runs `response` once every response queued before it is over. */
  async *run<T>(stage: SpeechStage, signal: AbortSignal | undefined, response: (onOver: (settled: Promise<void>) => void) => AsyncGenerator<Int16Array, T>): AsyncGenerator<Int16Array, T> {
    const before = this.previous;
    let release: () => void = () => undefined;
    this.previous = new Promise<void>((resolve) => (release = resolve));
    let released = false;
    // The next response may start once this one is over on the server; that is known when the
    // response ends, which may be long before (or without) the consumer finishing this generator.
    const releaseAfter = (settled: Promise<void>) => {
      if (released) return;
      released = true;
      void settled.then(release);
    };
    try {
      await (signal ? abortable(before, signal, stage) : before);
      return yield* response(releaseAfter);
    } finally {
      releaseAfter(Promise.resolve());
    }
  }
}

/**
 * One `response.create` on `connection`: yields its audio (PCM16 at the format's rate) as it
 * arrives and returns its outcome. The first audio must come within `timeoutMs`. Stopping early
 * (abort, a consumer that breaks off, a failure) cancels the response on the server at once.
 */
export async function* streamResponse(
  connection: RealtimeConnection,
  options: {
    stage: SpeechStage;
    format: RealtimeAudioFormats;
    response: RealtimeResponseCreateParams;
    timeoutMs: number;
    signal: AbortSignal | undefined;
    /** Called once the response is over for us, with when the server will be done with it (a cancel settling). */
    onOver: (settled: Promise<void>) => void;
    /** Called with the outcome once the response is over (also when stopped early). */
    onOutcome?: (outcome: ResponseOutcome) => void;
  },
): AsyncGenerator<Int16Array, ResponseOutcome> {
  const { stage, format, signal } = options;
  const deadline = performance.now() + options.timeoutMs;
  const tag = `r${Math.random().toString(36).slice(2, 10)}`;
  const chunks: Int16Array[] = [];
  let wake: () => void = () => undefined;
  let finished = false;
  let failure: SpeechProviderError | null = null;
  let responseId: string | null = null;
  const outcome: ResponseOutcome = { transcript: null, itemId: null, completed: false, audioMs: 0 };
  const rate = sampleRateOf(format);
  let requestId: string | null = null;
  const off = connection.onEvent((event: RealtimeServerEvent) => {
    switch (event.type) {
      case 'response.created':
        if (responseId === null && (event.response.metadata?.['tag'] ?? tag) === tag) responseId = event.response.id ?? null;
        break;
      case 'response.output_item.added':
        if (event.response_id === responseId && event.item.type === 'message') outcome.itemId = event.item.id ?? null;
        break;
      case 'response.output_audio.delta':
        if (event.response_id !== responseId) return;
        chunks.push(decodeRealtimeAudio(format, event.delta));
        outcome.audioMs += (chunks.at(-1)!.length * 1000) / rate;
        break;
      case 'response.output_audio_transcript.delta':
        // What was said so far: the transcript of a response cancelled before its `.done`.
        if (event.response_id === responseId) outcome.transcript = `${outcome.transcript ?? ''}${event.delta}`;
        return;
      case 'response.output_audio_transcript.done':
        if (event.response_id === responseId) outcome.transcript = event.transcript;
        break;
      case 'response.done':
        if (event.response.id !== responseId) return;
        finished = true;
        options.onOver(Promise.resolve()); // the next response may start while this one's audio is still being read
        outcome.completed = event.response.status === 'completed';
        if ((event.response.status === 'failed' || event.response.status === 'incomplete') && outcome.audioMs === 0) {
          failure ??= new SpeechProviderError({
            kind: 'server_error',
            stage,
            provider: OPENAI,
            message: `${stage} failed (server_error): the response ended ${event.response.status} ${JSON.stringify(event.response.status_details ?? {}).slice(0, 200)}`,
            retryable: true,
          });
        }
        break;
      case 'error':
        if (event.error.event_id !== requestId) return;
        failure ??= new SpeechProviderError({
          kind: event.error.type === 'server_error' ? 'server_error' : 'bad_request',
          stage,
          provider: OPENAI,
          message: `${stage} failed: ${event.error.message.slice(0, 200)}${event.error.code ? ` [${event.error.code}]` : ''}`,
          retryable: event.error.type === 'server_error',
        });
        break;
      default:
        return;
    }
    wake();
  });
  const offClose = connection.onClose((error) => {
    if (!finished) failure ??= error;
    wake();
  });
  let received = 0;
  let over = false;
  /**
   * Ends our part in the response, once: a response still running is cancelled on the server (the
   * next one may start only when it is over). Runs when the consumer stops reading, and also at an
   * abort, since a consumer may abandon the audio without ever reading it to its end.
   */
  const end = () => {
    if (over) return;
    over = true;
    off();
    offClose();
    signal?.removeEventListener('abort', end);
    if (finished || !connection.isOpen) options.onOver(Promise.resolve());
    else {
      const cancelled = responseId;
      try {
        options.onOver(
          connection.next((event) => event.type === 'response.done' && (cancelled === null || event.response.id === cancelled), { timeoutMs: CANCEL_SETTLE_MS }).then(
            () => undefined,
            () => undefined,
          ),
        );
        connection.send(cancelled ? { type: 'response.cancel', response_id: cancelled } : { type: 'response.cancel' });
      } catch {
        options.onOver(Promise.resolve()); // the session is gone anyway
      }
    }
    options.onOutcome?.(outcome);
  };
  signal?.addEventListener('abort', end, { once: true });
  try {
    requestId = connection.send({ type: 'response.create', response: { ...options.response, metadata: { ...(options.response.metadata ?? {}), tag } } });
    for (;;) {
      while (chunks.length > 0 && !over) {
        received += 1;
        yield chunks.shift()!;
      }
      if (failure) throw failure;
      if (finished) break;
      if (signal?.aborted || over) throw cancelledError(stage);
      const waitMs = received === 0 ? deadline - performance.now() : undefined;
      if (waitMs !== undefined && waitMs <= 0) {
        throw new SpeechProviderError({ kind: 'timeout', stage, provider: OPENAI, message: `${stage} failed (timeout): no audio within ${options.timeoutMs} ms`, retryable: true });
      }
      await nextWake((resolve) => (wake = resolve), waitMs, signal);
    }
    return outcome;
  } finally {
    end();
  }
}

/** `promise`, or a cancellation as soon as `signal` aborts. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal, stage: SpeechStage): Promise<T> {
  if (signal.aborted) return Promise.reject(cancelledError(stage));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(cancelledError(stage));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/** Waits for the next wake-up, at most `timeoutMs`, or until `signal` aborts. */
function nextWake(arm: (resolve: () => void) => void, timeoutMs: number | undefined, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    arm(done);
    if (timeoutMs !== undefined) timer = setTimeout(done, timeoutMs);
    signal?.addEventListener('abort', done, { once: true });
  });
}
