import type OpenAI from 'openai';
import type { RealtimeAudioFormats, RealtimeServerEvent } from 'openai/resources/realtime/realtime';
import { alawEncode, mulawEncode } from '../../../audio/g711';
import { pcm16FromBuffer, pcm16ToBuffer } from '../../../audio/pcm';
import { createResampler, type Resampler } from '../../../audio/resampler';
import type { Logger } from '../../../logging/logger';
import { isMeaningfulTranscript } from '../../../openai/speech-to-text';
import { SpeechProviderError } from '../../provider-error';
import type { SpeechCall } from '../../speech-call';
import type { PhraseAudio, PhraseTranscript, SpeechToText, SpeechToTextStream, TranscribeOptions } from '../../speech-to-text';
import { OPENAI } from '../openai-errors';
import { realtimeFormatFor, REALTIME_PCM_RATE } from './realtime-audio';
import { RealtimeConnection } from './realtime-connection';
import { RealtimeSessionHolder } from './realtime-session-holder';

export interface OpenAIRealtimeSpeechToTextOptions {
  client: OpenAI;
  /** The transcription model of the session, e.g. gpt-live-transcribe or gpt-transcribe. */
  model: string;
  /** Time limit to open a session, and for a whole phrase's transcription. */
  timeoutMs: number;
  /**
   * How long a committed phrase may wait for its transcript on a call's stream before the caller
   * falls back (the stream's answer normally comes 0.1-0.5 s after the commit).
   */
  streamTimeoutMs?: number;
  tlsCa?: string;
  logger?: Logger;
}

/** Audio buffered while a call's session is (re)opening: about 10 s of 20 ms frames. */
const MAX_PENDING_FRAMES = 500;
const DEFAULT_STREAM_TIMEOUT_MS = 2500;

/**
 * Streaming recognition over a Realtime transcription session (`?intent=transcription`, the SDK's
 * `openai/realtime/ws`), with our own turn detection (`turn_detection: null`): the callee's audio
 * is appended while they talk, our endpointer commits each phrase, and the text comes from
 * `conversation.item.input_audio_transcription.completed`, so little is left to do after the phrase
 * ends. A whole phrase (`transcribe`) goes through a short session of its own.
 */
export class OpenAIRealtimeSpeechToText implements SpeechToText {
  readonly provider = OPENAI;
  readonly model: string;
  readonly capabilities = { streaming: true, sampleRates: [8000, 16000, 24000], languages: ['ru'] } as const;

  constructor(private readonly options: OpenAIRealtimeSpeechToTextOptions) {
    this.model = options.model;
  }

  async transcribe(audio: PhraseAudio, options: TranscribeOptions): Promise<PhraseTranscript> {
    const stream = new RealtimeTranscriptionStream(this.options, undefined, false);
    try {
      stream.appendPcm(audio.pcm, audio.sampleRate);
      const piece = stream.commit();
      return await stream.transcript([piece], { ...(options.signal ? { signal: options.signal } : {}), timeoutMs: this.options.timeoutMs });
    } finally {
      await stream.close();
    }
  }

  openStream(call: SpeechCall): SpeechToTextStream {
    return new RealtimeTranscriptionStream(this.options, call, true);
  }
}

/** The session configuration of a transcription stream in `format`. */
function transcriptionSession(model: string, format: RealtimeAudioFormats) {
  return {
    type: 'transcription' as const,
    audio: {
      input: {
        format,
        transcription: { model, languages: ['ru'] },
        // Our VAD decides where a phrase ends (and barge-in); the server only transcribes.
        turn_detection: null,
      },
    },
  };
}

/**
 * The callee's side of a Realtime session: audio appended as it arrives (buffered while the session
 * (re)opens), commits, and each committed piece's transcript from
 * `conversation.item.input_audio_transcription.completed`. Used by the transcription stream and by
 * the realtime operator, whose model hears the same committed audio.
 */
export class RealtimeInput {
  /** Audio waiting for the session to open, already in the session's format. */
  private pending: Buffer[] = [];
  private resampler: { rate: number; resampler: Resampler } | null = null;
  /** Commits sent on the current connection whose `input_audio_buffer.committed` has not come yet, in order. */
  private awaitingItem: { piece: string; eventId: string | null }[] = [];
  /** piece -> its transcript (or failure). */
  private readonly transcripts = new Map<string, Promise<string>>();
  private readonly settle = new Map<string, { resolve: (text: string) => void; reject: (err: SpeechProviderError) => void }>();
  private readonly itemPiece = new Map<string, string>();
  /** Every committed piece's conversation item (item id -> piece), while the session lasts. */
  private readonly itemOfPiece = new Map<string, string>();
  private pieces = 0;
  private closed = false;

  constructor(
    private readonly holder: RealtimeSessionHolder,
    private readonly format: RealtimeAudioFormats,
    /** The line's PCM rate (for linear PCM lines). */
    private readonly lineRate: number,
    private readonly streamTimeoutMs: number,
    /** The session keeps a conversation (a realtime model): replaced pieces are deleted from it. */
    private readonly deleteReplaced = false,
  ) {
    holder.onOpened((connection) => {
      connection.onEvent((event) => this.onEvent(event));
      this.flush(connection);
    });
    holder.onLost((error) => this.failPending(error));
  }

  /** A frame in the line's format: G.711 goes on as it is, linear PCM is resampled to 24 kHz. */
  append(frame: Uint8Array): void {
    if (this.format.type !== 'audio/pcm') this.send(Buffer.from(frame));
    else this.appendPcm(pcm16FromBuffer(frame), this.lineRate);
  }

  /** PCM16 mono at any rate (resampled to the session's 24 kHz; a G.711 session encodes it). */
  appendPcm(pcm: Int16Array, sampleRate: number): void {
    if (this.format.type !== 'audio/pcm') {
      const at8k = sampleRate === 8000 ? pcm : this.resample(pcm, sampleRate, 8000);
      this.send(this.format.type === 'audio/pcmu' ? mulawEncode(at8k) : alawEncode(at8k));
      return;
    }
    this.send(pcm16ToBuffer(sampleRate === REALTIME_PCM_RATE ? pcm : this.resample(pcm, sampleRate, REALTIME_PCM_RATE)));
  }

  discard(): void {
    this.pending = [];
    this.resampler = null;
    this.holder.current?.send({ type: 'input_audio_buffer.clear' });
  }

  commit(): string {
    const piece = `piece-${++this.pieces}`;
    const transcript = new Promise<string>((resolve, reject) => this.settle.set(piece, { resolve, reject }));
    transcript.catch(() => undefined); // read (or not) by transcript()
    this.transcripts.set(piece, transcript);
    if (this.resampler) {
      // The phrase's last samples; the next phrase starts a new resampler.
      const tail = this.resampler.resampler.flush();
      this.resampler = null;
      if (tail.length > 0) {
        if (this.format.type === 'audio/pcm') this.send(pcm16ToBuffer(tail));
        else this.send(this.format.type === 'audio/pcmu' ? mulawEncode(tail) : alawEncode(tail));
      }
    }
    const connection = this.holder.current;
    if (connection && this.pending.length === 0) {
      this.awaitingItem.push({ piece, eventId: connection.send({ type: 'input_audio_buffer.commit' }) });
    } else {
      // Sent once the session is open, after the audio buffered meanwhile.
      this.awaitingItem.push({ piece, eventId: null });
      this.holder.connect().catch(() => undefined);
    }
    return piece;
  }

  /**
   * The whole phrase as one piece, in place of the pieces a pause cut it into: what was appended
   * since the last commit is dropped, the phrase's frames go again, and (where the session keeps a
   * conversation) the replaced pieces' items are deleted, so the phrase is heard once, whole.
   */
  recommit(frames: readonly Uint8Array[], replacing: readonly string[]): string {
    this.pending = [];
    this.resampler = null;
    const connection = this.holder.current;
    connection?.send({ type: 'input_audio_buffer.clear' });
    if (this.deleteReplaced && connection) {
      for (const [itemId, piece] of this.itemOfPiece) {
        if (!replacing.includes(piece)) continue;
        connection.send({ type: 'conversation.item.delete', item_id: itemId });
        this.itemOfPiece.delete(itemId);
      }
    }
    for (const frame of frames) this.append(frame);
    return this.commit();
  }

  /** Whether every one of `pieces` reached the current session (the model heard them). */
  heard(pieces: readonly string[]): boolean {
    return pieces.every((piece) => this.transcripts.has(piece)) && this.holder.current !== null;
  }

  async transcript(pieces: readonly string[], options: { signal?: AbortSignal; timeoutMs?: number }): Promise<PhraseTranscript> {
    const texts = await withDeadline(
      Promise.all(pieces.map((piece) => this.transcripts.get(piece) ?? Promise.reject(failure('connection', `no such piece ${piece} on this stream`)))),
      options.timeoutMs ?? this.streamTimeoutMs,
      options.signal,
    );
    const rawText = texts
      .map((text) => text.trim())
      .filter((text) => text !== '')
      .join(' ');
    return { text: isMeaningfulTranscript(rawText) ? rawText : '', rawText };
  }

  close(): void {
    this.closed = true;
    this.failPending(failure('cancelled', 'the stream was closed'));
  }

  private resample(pcm: Int16Array, from: number, to: number): Int16Array {
    if (!this.resampler || this.resampler.rate !== from) this.resampler = { rate: from, resampler: createResampler(from, to) };
    return this.resampler.resampler.push(pcm);
  }

  /** Sends audio, or keeps it until the session is open. */
  private send(bytes: Buffer): void {
    if (bytes.length === 0 || this.closed) return;
    const connection = this.holder.current;
    if (connection && this.pending.length === 0) {
      connection.send({ type: 'input_audio_buffer.append', audio: bytes.toString('base64') });
      return;
    }
    this.pending.push(bytes);
    if (this.pending.length > MAX_PENDING_FRAMES) this.pending.shift();
    this.holder.connect().catch(() => undefined);
  }

  /** The audio and commits that waited for the session, in their order. */
  private flush(connection: RealtimeConnection): void {
    for (const bytes of this.pending) connection.send({ type: 'input_audio_buffer.append', audio: bytes.toString('base64') });
    this.pending = [];
    for (const waiting of this.awaitingItem) if (waiting.eventId === null) waiting.eventId = connection.send({ type: 'input_audio_buffer.commit' });
  }

  private onEvent(event: RealtimeServerEvent): void {
    switch (event.type) {
      case 'input_audio_buffer.committed': {
        const waiting = this.awaitingItem.shift();
        if (waiting) {
          this.itemPiece.set(event.item_id, waiting.piece);
          this.itemOfPiece.set(event.item_id, waiting.piece);
        }
        return;
      }
      case 'conversation.item.input_audio_transcription.completed': {
        const piece = this.itemPiece.get(event.item_id);
        if (!piece) return;
        this.itemPiece.delete(event.item_id);
        this.settle.get(piece)?.resolve(event.transcript);
        this.settle.delete(piece);
        return;
      }
      case 'conversation.item.input_audio_transcription.failed': {
        const piece = this.itemPiece.get(event.item_id);
        if (!piece) return;
        this.settle.get(piece)?.reject(failure('server_error', `transcription failed: ${event.error.message ?? 'unknown'}`));
        this.settle.delete(piece);
        return;
      }
      case 'error': {
        // A commit the server refused (e.g. an empty buffer) fails its piece only.
        const index = this.awaitingItem.findIndex((waiting) => waiting.eventId !== null && waiting.eventId === event.error.event_id);
        if (index < 0) return;
        const [refused] = this.awaitingItem.splice(index, 1);
        if (!refused) return;
        this.settle.get(refused.piece)?.reject(failure(event.error.type === 'server_error' ? 'server_error' : 'bad_request', event.error.message));
        this.settle.delete(refused.piece);
        return;
      }
      default:
        return;
    }
  }

  /** Every piece still waiting fails (the session is gone); later audio opens a new one. */
  private failPending(error: SpeechProviderError): void {
    for (const { reject } of this.settle.values()) reject(error);
    this.settle.clear();
    this.awaitingItem = [];
    this.itemPiece.clear();
    this.itemOfPiece.clear();
    this.pending = [];
  }
}

/** One call's recognition stream over a transcription session. */
class RealtimeTranscriptionStream implements SpeechToTextStream {
  private readonly holder: RealtimeSessionHolder;
  private readonly input: RealtimeInput;

  constructor(options: OpenAIRealtimeSpeechToTextOptions, call: SpeechCall | undefined, openNow: boolean) {
    // G.711 lines go in as they are (audio/pcmu, audio/pcma); anything else as PCM 24 kHz.
    const format = realtimeFormatFor(call?.line);
    this.holder = new RealtimeSessionHolder('STT', (signal) =>
      RealtimeConnection.open({
        client: options.client,
        target: { intent: 'transcription' },
        stage: 'STT',
        timeoutMs: options.timeoutMs,
        signal,
        session: transcriptionSession(options.model, format),
        ...(options.tlsCa ? { tlsCa: options.tlsCa } : {}),
        ...(options.logger ? { logger: options.logger } : {}),
      }),
    );
    this.input = new RealtimeInput(this.holder, format, call?.line?.sampleRate ?? REALTIME_PCM_RATE, options.streamTimeoutMs ?? DEFAULT_STREAM_TIMEOUT_MS);
    if (openNow) this.holder.connect().catch(() => undefined);
  }

  append(frame: Uint8Array): void {
    this.input.append(frame);
  }

  appendPcm(pcm: Int16Array, sampleRate: number): void {
    this.input.appendPcm(pcm, sampleRate);
  }

  discard(): void {
    this.input.discard();
  }

  commit(): string {
    return this.input.commit();
  }

  recommit(frames: readonly Uint8Array[], replacing: readonly string[]): string {
    return this.input.recommit(frames, replacing);
  }

  transcript(pieces: readonly string[], options: { signal?: AbortSignal; timeoutMs?: number }): Promise<PhraseTranscript> {
    return this.input.transcript(pieces, options);
  }

  async close(): Promise<void> {
    this.input.close();
    this.holder.close();
    await Promise.resolve();
  }
}

export function failure(kind: 'connection' | 'server_error' | 'bad_request' | 'cancelled' | 'timeout', message: string): SpeechProviderError {
  return new SpeechProviderError({ kind, stage: 'STT', provider: OPENAI, message: `STT failed (${kind}): ${message}`, retryable: kind === 'connection' || kind === 'server_error' || kind === 'timeout' });
}

/** `promise` within `timeoutMs`, or a SpeechProviderError (timeout, or cancelled on abort). */
function withDeadline<T>(promise: Promise<T>, timeoutMs: number, signal: AbortSignal | undefined): Promise<T> {
  promise.catch(() => undefined); // its failure is reported below, or is moot after an abort
  if (signal?.aborted) return Promise.reject(failure('cancelled', 'aborted'));
  return new Promise<T>((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      done();
      reject(failure('cancelled', 'aborted'));
    };
    const timer = setTimeout(() => {
      done();
      reject(failure('timeout', `no transcript within ${timeoutMs} ms`));
    }, timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        done();
        resolve(value);
      },
      (err: unknown) => {
        done();
        reject(err);
      },
    );
  });
}
