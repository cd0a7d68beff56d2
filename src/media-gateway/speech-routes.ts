import type http from 'node:http';
import type OpenAI from 'openai';
import { z } from 'zod';
import type { Logger } from '../logging/logger';
import { metrics } from '../metrics/metrics';
import { describeOpenAIError } from '../openai/client';
import { streamSpeech, TTS_SAMPLE_RATE } from '../openai/text-to-speech';
import { NoMediaSessionError, type CallAudioPipeline } from './call-audio-pipeline';
import { authorizeInternal, readInternalJson, sendJson } from './internal-http';

export const SayRequestSchema = z.object({
  text: z.string().trim().min(1).max(4096),
  /** Fixed phrases (greeting, fallback, re-prompt) are synthesised once and replayed from memory. */
  cache: z.boolean().default(false),
  /** The callee utterance this reply answers: if that phrase turns out unfinished, nothing is played. */
  answering: z.string().max(100).optional(),
  /** A reply said in parts (first sentence, then the rest): parts of one turn play in index order. */
  part: z.object({ turn: z.string().min(1).max(100), index: z.number().int().min(0).max(100) }).optional(),
});

export interface SpeechSettings {
  model: string;
  voice: string;
  instructions?: string;
  timeoutMs: number;
}

export interface SayResult {
  played_ms: number;
  interrupted: boolean;
  cached: boolean;
  /** From the request to the first byte of synthesised audio (0 when cached). */
  synthesis_first_byte_ms: number;
  /** From the request to the first frame on the line. */
  first_frame_ms: number | null;
  /** End of the callee's last phrase to the first frame of this reply (null for the greeting). */
  voice_to_voice_ms: number | null;
  /** Answer to the first frame of the call's first playback (the greeting). */
  greeting_ms: number | null;
  endpointing_ms: number | null;
  /** The phrase answered was not finished (the callee went on talking): nothing was played. */
  superseded: boolean;
}

/**
 * The gateway's internal control API, used by the worker's activities (shared secret header
 * `X-Internal-Secret`): `POST /internal/calls/{id}/say` streams OpenAI speech straight onto the
 * call's line as it is synthesised and answers when it has been played (or cut by barge-in).
 */
export function speechRoutes(deps: { pipeline: CallAudioPipeline; openai: OpenAI; speech: SpeechSettings; internalSecret: string; logger: Logger }) {
  const phraseCache = new Map<string, Int16Array[]>();
  const keyOf = (text: string) => `${deps.speech.model}|${deps.speech.voice}|${text}`;

  /** Synthesises fixed phrases (greeting …) ahead of the first call, so they play at once. */
  async function prewarm(texts: readonly string[]): Promise<void> {
    for (const text of texts) {
      if (phraseCache.has(keyOf(text))) continue;
      try {
        const chunks: Int16Array[] = [];
        for await (const chunk of streamSpeech(deps.openai, { ...deps.speech, text })) chunks.push(chunk);
        phraseCache.set(keyOf(text), chunks);
      } catch (err) {
        const described = describeOpenAIError(err);
        deps.logger.error({ stage: 'TTS', kind: described.kind, err_message: described.message }, 'openai request failed');
      }
    }
    deps.logger.info({ phrases: phraseCache.size }, 'fixed phrases pre-synthesised');
  }
  const SAY = /^\/internal\/calls\/([0-9a-f-]{36})\/say$/;

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean> => {
    const callId = SAY.exec(req.url ?? '')?.[1];
    if (!callId || req.method !== 'POST') return false;
    if (!authorizeInternal(req, res, deps.internalSecret)) return true;
    const body = await readInternalJson(req, res, '{"text": "..."}');
    if (body === undefined) return true;
    const parsed = SayRequestSchema.safeParse(body);
    if (!parsed.success) {
      sendJson(res, 400, { error: { code: 'invalid_body', message: parsed.error.issues[0]?.message ?? 'invalid' } });
      return true;
    }
    // A provider may report the answer a moment before its media stream starts.
    for (let waited = 0; !deps.pipeline.hasCall(callId) && waited < 3000; waited += 50) await new Promise((r) => setTimeout(r, 50));
    if (!deps.pipeline.hasCall(callId)) {
      sendJson(res, 404, { error: { code: 'no_media_session', message: `Call ${callId} has no media stream` } });
      return true;
    }
    const { text, cache, answering, part } = parsed.data;
    const startedAt = performance.now();
    const cacheKey = keyOf(text);
    const cached = cache ? phraseCache.get(cacheKey) : undefined;
    const abort = new AbortController();
    let firstByteAt: number | null = cached ? startedAt : null;
    const collected: Int16Array[] = [];

    async function* audio(): AsyncGenerator<Int16Array> {
      if (cached) {
        yield* cached;
        return;
      }
      for await (const chunk of streamSpeech(deps.openai, { ...deps.speech, text, signal: abort.signal })) {
        firstByteAt ??= performance.now();
        if (cache) collected.push(chunk);
        yield chunk;
      }
      if (cache) phraseCache.set(cacheKey, collected);
    }

    try {
      // Synthesis starts now, even while the pipeline still waits to learn whether the phrase is over.
      const result = await deps.pipeline.play(callId, startEagerly(audio()), TTS_SAMPLE_RATE, {
        onInterrupt: () => abort.abort(),
        ...(answering !== undefined ? { answering } : {}),
        ...(part !== undefined ? { part } : {}),
      });
      if (result.superseded) abort.abort();
      const answer: SayResult = {
        played_ms: result.playedMs,
        interrupted: result.interrupted,
        cached: Boolean(cached),
        synthesis_first_byte_ms: firstByteAt === null ? 0 : Math.round(firstByteAt - startedAt),
        first_frame_ms: result.firstFrameAt === null ? null : Math.round(result.firstFrameAt - startedAt),
        voice_to_voice_ms: result.voiceToVoiceMs,
        greeting_ms: result.greetingMs,
        endpointing_ms: result.endpointingMs,
        superseded: result.superseded,
      };
      if (!cached && firstByteAt !== null) metrics.stage.observe({ stage: 'tts_first_byte' }, (firstByteAt - startedAt) / 1000);
      sendJson(res, 200, answer);
    } catch (err) {
      if (err instanceof NoMediaSessionError) {
        sendJson(res, 404, { error: { code: 'no_media_session', message: err.message } });
        return true;
      }
      const described = describeOpenAIError(err);
      metrics.errors.inc({ kind: 'tts' });
      deps.logger.error({ call_id: callId, stage: 'TTS', kind: described.kind, status: described.status, err_message: described.message }, 'openai request failed');
      sendJson(res, 502, { error: { code: 'tts_failed', message: described.message, kind: described.kind } });
    }
    return true;
  };

  return { handle, prewarm };
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
