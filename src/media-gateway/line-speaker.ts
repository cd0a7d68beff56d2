import type { Logger } from '../logging/logger';
import { metrics } from '../metrics/metrics';
import { isSpeechProviderError, SpeechProviderError } from '../speech-providers/provider-error';
import type { TextToSpeech } from '../speech-providers/text-to-speech';
import type { CallAudioPipeline, ReplyPart } from './call-audio-pipeline';

/** How one line went onto the call. */
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
}

export interface SpeakOptions {
  /** A fixed phrase (greeting, fallback, re-prompt): synthesised once and replayed from memory. */
  cache?: boolean;
  /** The callee utterance this line answers: if that phrase turns out unfinished, nothing is played. */
  answering?: string;
  /** A reply said in parts (first clause, then the rest): parts of one turn play in index order. */
  part?: ReplyPart;
  /** Stops synthesis and playback (a cancelled turn). */
  signal?: AbortSignal;
}

/**
 * Speaks text on a call of this gateway: TTS streamed straight onto the line as it is synthesised,
 * in the same process as the call's audio. Fixed phrases are synthesised ahead of the first call.
 */
export class LineSpeaker {
  private readonly phraseCache = new Map<string, Int16Array[]>();

  constructor(
    private readonly deps: { pipeline: CallAudioPipeline; tts: TextToSpeech; logger: Logger },
  ) {}

  private keyOf(text: string): string {
    return `${this.deps.tts.model}|${this.deps.tts.voice}|${text}`;
  }

  /** Synthesises fixed phrases (greeting …) ahead of the first call, so they play at once. */
  async prewarm(texts: readonly string[]): Promise<void> {
    for (const text of texts) {
      if (this.phraseCache.has(this.keyOf(text))) continue;
      try {
        const chunks: Int16Array[] = [];
        for await (const chunk of this.deps.tts.synthesize(text)) chunks.push(chunk);
        this.phraseCache.set(this.keyOf(text), chunks);
      } catch (err) {
        const described = isSpeechProviderError(err) ? err.describe() : { err_message: String(err) };
        this.deps.logger.error(described, 'speech provider request failed');
      }
    }
    this.deps.logger.info({ phrases: this.phraseCache.size }, 'fixed phrases pre-synthesised');
  }

  /** Says `text` on the call; resolves when it was played or cut. Throws `SpeechProviderError` when synthesis failed before anything was played. */
  async say(callId: string, text: string, options: SpeakOptions = {}): Promise<SpeakResult> {
    const { tts, pipeline } = this.deps;
    const startedAt = performance.now();
    const cacheKey = this.keyOf(text);
    const cached = options.cache ? this.phraseCache.get(cacheKey) : undefined;
    const abort = new AbortController();
    const onCancel = () => abort.abort();
    options.signal?.addEventListener('abort', onCancel, { once: true });
    let firstByteAt: number | null = cached ? startedAt : null;
    const collected: Int16Array[] = [];
    const phraseCache = this.phraseCache;

    async function* audio(): AsyncGenerator<Int16Array> {
      if (cached) {
        yield* cached;
        return;
      }
      for await (const chunk of tts.synthesize(text, { signal: abort.signal })) {
        firstByteAt ??= performance.now();
        if (options.cache) collected.push(chunk);
        yield chunk;
      }
      if (options.cache) phraseCache.set(cacheKey, collected);
    }

    try {
      // Synthesis starts now, even while the pipeline still waits to learn whether the phrase is over.
      const result = await pipeline.play(callId, startEagerly(audio()), tts.capabilities.sampleRate, {
        onInterrupt: () => abort.abort(),
        ...(options.answering !== undefined ? { answering: options.answering } : {}),
        ...(options.part !== undefined ? { part: options.part } : {}),
      });
      if (result.superseded) abort.abort();
      if (!cached && firstByteAt !== null) metrics.stage.observe({ stage: 'tts_first_byte' }, (firstByteAt - startedAt) / 1000);
      return {
        interrupted: result.interrupted,
        playedMs: result.playedMs,
        firstFrameMs: result.firstFrameAt === null ? null : Math.round(result.firstFrameAt - startedAt),
        synthesisFirstByteMs: firstByteAt === null ? 0 : Math.round(firstByteAt - startedAt),
        voiceToVoiceMs: result.voiceToVoiceMs,
        greetingMs: result.greetingMs,
        endpointingMs: result.endpointingMs,
        superseded: result.superseded,
      };
    } catch (err) {
      if (isSpeechProviderError(err)) {
        metrics.errors.inc({ kind: 'tts' });
        this.deps.logger.error({ call_id: callId, ...err.describe() }, 'speech provider request failed');
        throw err;
      }
      if (err instanceof Error && err.name === 'NoMediaSessionError') throw err;
      throw new SpeechProviderError({ kind: 'unknown', stage: 'TTS', provider: tts.provider, message: `TTS failed: ${String(err)}`, retryable: false, cause: err });
    } finally {
      options.signal?.removeEventListener('abort', onCancel);
    }
  }
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
