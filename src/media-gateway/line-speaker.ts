import type { Logger } from '../logging/logger';
import { metrics } from '../metrics/metrics';
import { isSpeechProviderError, SpeechProviderError } from '../speech-providers/provider-error';
import { saidAsWritten } from '../speech-providers/text-to-speech';
import type { SpokenPiece } from '../speech-providers/voice-operator';
import type { CallAudioPipeline, ReplyPart } from './call-audio-pipeline';

/** How one piece of speech went onto the call. */
export interface SpeakResult {
  interrupted: boolean;
  playedMs: number;
  /** From the request to the first frame on the line. */
  firstFrameMs: number | null;
  /** From the request to the first byte of synthesised audio (0 when cached). */
  synthesisFirstByteMs: number;
  /** End of the callee's last phrase to the first frame of this line (null for the greeting). */
  voiceToVoiceMs: number | null;
  /** Answer to the first frame of the call's first playback (the greeting). */
  greetingMs: number | null;
  endpointingMs: number | null;
  /** The phrase this line answered was unfinished (the callee went on talking): nothing was played. */
  superseded: boolean;
  /** The words the voice actually said ('' when nothing was played); a model reading aloud may differ from the text. */
  spokenText: string;
}

export interface PlayOptions {
  /** The callee utterance this piece answers: if that phrase turns out unfinished, nothing is played. */
  answering?: string;
  /** A reply said in pieces: the pieces of one turn play in index order. */
  part?: ReplyPart;
  /** The callee talked over it (barge-in) or the call ended: stop producing the audio. */
  onInterrupt?: () => void;
}

/**
 * Puts speech on a call of this gateway, in the same process as the call's audio: a piece's audio
 * is played as it is produced (synthesis starts at once, even while the pipeline still waits to
 * learn whether the callee's phrase is over). Fixed phrases are produced ahead of the first call
 * and replayed from memory.
 */
export class LineSpeaker {
  private readonly phraseCache = new Map<string, { chunks: Int16Array[]; sampleRate: number; spokenText: string }>();

  constructor(private readonly deps: { pipeline: CallAudioPipeline; logger: Logger }) {}

  /** Produces fixed phrases (greeting …) ahead of the first call, so they play at once. */
  async prewarm(texts: readonly string[], speak: (text: string) => SpokenPiece): Promise<void> {
    for (const text of texts) {
      if (this.phraseCache.has(text)) continue;
      try {
        const piece = speak(text);
        const chunks: Int16Array[] = [];
        for await (const chunk of piece.audio) chunks.push(chunk);
        const spokenText = await piece.spokenText;
        if (!saidAsWritten(text, spokenText)) this.deps.logger.warn({ text, spoken_text: spokenText }, 'fixed phrase read back with other words (kept with the words actually said)');
        this.phraseCache.set(text, { chunks, sampleRate: piece.sampleRate, spokenText });
      } catch (err) {
        this.deps.logger.error(isSpeechProviderError(err) ? err.describe() : { err_message: String(err) }, 'speech provider request failed');
      }
    }
    this.deps.logger.info({ phrases: this.phraseCache.size }, 'fixed phrases pre-synthesised');
  }

  /** A fixed phrase from memory, or produced now (and kept) when it is not there yet. */
  async sayFixed(callId: string, text: string, speak: (text: string) => SpokenPiece, options: PlayOptions = {}): Promise<SpeakResult> {
    const cached = this.phraseCache.get(text);
    if (cached) {
      return this.play(callId, { text, isGoodbye: false, audio: fromMemory(cached.chunks), sampleRate: cached.sampleRate, spokenText: Promise.resolve(cached.spokenText) }, options, true);
    }
    const piece = speak(text);
    const kept: Int16Array[] = [];
    const cache = this.phraseCache;
    const keep = () => void piece.spokenText.then((spokenText) => spokenText !== '' && cache.set(text, { chunks: kept, sampleRate: piece.sampleRate, spokenText }));
    return this.play(callId, { ...piece, audio: keeping(piece.audio, kept, keep) }, options);
  }

  /** Plays one piece whose audio is being produced; resolves when it was played or cut. Throws `SpeechProviderError` when its audio failed before anything was played. */
  async play(callId: string, piece: SpokenPiece, options: PlayOptions = {}, fromCache = false): Promise<SpeakResult> {
    const startedAt = performance.now();
    let firstByteAt: number | null = fromCache ? startedAt : null;
    async function* timed(): AsyncGenerator<Int16Array> {
      for await (const chunk of piece.audio) {
        firstByteAt ??= performance.now();
        yield chunk;
      }
    }
    try {
      const result = await this.deps.pipeline.play(callId, startEagerly(timed()), piece.sampleRate, {
        ...(options.onInterrupt ? { onInterrupt: options.onInterrupt } : {}),
        ...(options.answering !== undefined ? { answering: options.answering } : {}),
        ...(options.part !== undefined ? { part: options.part } : {}),
      });
      // A superseded piece was never heard: as good as cut at 0 ms.
      piece.onPlayed?.(result.playedMs, result.interrupted || result.superseded);
      if (!fromCache && firstByteAt !== null) metrics.stage.observe({ stage: 'tts_first_byte' }, (firstByteAt - startedAt) / 1000);
      return {
        interrupted: result.interrupted,
        playedMs: result.playedMs,
        firstFrameMs: result.firstFrameAt === null ? null : Math.round(result.firstFrameAt - startedAt),
        synthesisFirstByteMs: firstByteAt === null ? 0 : Math.round(firstByteAt - startedAt),
        voiceToVoiceMs: result.voiceToVoiceMs,
        greetingMs: result.greetingMs,
        endpointingMs: result.endpointingMs,
        superseded: result.superseded,
        // A line cut short has no read-back: its text stands for what was said.
        spokenText: result.playedMs > 0 ? (await piece.spokenText) || piece.text : '',
      };
    } catch (err) {
      if (isSpeechProviderError(err)) {
        metrics.errors.inc({ kind: 'tts' });
        this.deps.logger.error({ call_id: callId, ...err.describe() }, 'speech provider request failed');
        throw err;
      }
      if (err instanceof Error && err.name === 'NoMediaSessionError') throw err;
      throw new SpeechProviderError({ kind: 'unknown', stage: 'TTS', provider: 'unknown', message: `speech failed: ${String(err)}`, retryable: false, cause: err });
    }
  }
}

async function* fromMemory(chunks: Int16Array[]): AsyncGenerator<Int16Array> {
  yield* chunks;
}

/** Passes audio on and keeps a copy; `done` runs when the whole stream was read. */
async function* keeping(source: AsyncIterable<Int16Array>, kept: Int16Array[], done: () => void): AsyncGenerator<Int16Array> {
  for await (const chunk of source) {
    kept.push(chunk);
    yield chunk;
  }
  done();
}

/** Starts pulling the first item at once (not when the consumer first asks), then passes everything on. */
function startEagerly<T>(source: AsyncGenerator<T>): AsyncIterable<T> {
  const first = source.next();
  first.catch(() => undefined); // a failure surfaces when the consumer reads it
  return {
    async *[Symbol.asyncIterator]() {
      const head = await first;
      if (head.done) return;
      yield head.value;
      yield* source;
    },
  };
}
