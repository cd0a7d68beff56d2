import type OpenAI from 'openai';
import { APIConnectionError, APIUserAbortError } from 'openai';
import { requestOptions } from './client';

/**
 * Text-to-speech of one operator reply through `audio.speech.create` with `response_format: 'pcm'`
 * (raw 24 kHz 16-bit signed little-endian mono), read from the streamed response body as it arrives,
 * so playback can start before the whole reply has been synthesised.
 */

export const TTS_SAMPLE_RATE = 24000;
/** The API's limit on `input`. */
export const TTS_MAX_INPUT_CHARS = 4096;

export interface SpeechRequest {
  /** e.g. 'gpt-4o-mini-tts' or 'tts-1'. */
  model: string;
  /** e.g. 'marin', 'cedar', 'alloy'. */
  voice: string;
  text: string;
  /** Speaking style (gpt-4o-mini-tts); never sent to tts-1 / tts-1-hd, which do not take it. */
  instructions?: string;
  /** 0.25-4, default 1. */
  speed?: number;
  /** Aborts the request and the stream. */
  signal?: AbortSignal;
  /** Time limit for the response headers (the SDK's `timeout`); bound the stream itself with `signal`. */
  timeoutMs?: number;
  /** SDK retries before the response starts; the stream itself is never retried. */
  maxRetries?: number;
}

function acceptsInstructions(model: string): boolean {
  return !/^tts-1(\b|-|$)/.test(model);
}

/**
 * Yields Int16 samples at TTS_SAMPLE_RATE as the bytes arrive. A sample split across two network
 * chunks is joined. Breaking out of the loop cancels the HTTP stream.
 */
export async function* streamSpeech(client: OpenAI, request: SpeechRequest): AsyncGenerator<Int16Array, void, undefined> {
  const text = request.text.trim();
  if (text === '') throw new Error('streamSpeech: text is empty');
  if (text.length > TTS_MAX_INPUT_CHARS) throw new Error(`streamSpeech: text longer than ${TTS_MAX_INPUT_CHARS} characters`);
  const instructions = request.instructions?.trim();
  const response = await client.audio.speech.create(
    {
      model: request.model,
      voice: request.voice,
      input: text,
      response_format: 'pcm',
      ...(instructions && acceptsInstructions(request.model) ? { instructions } : {}),
      ...(request.speed !== undefined ? { speed: request.speed } : {}),
    },
    requestOptions(request),
  );
  const body = response.body;
  if (!body) throw new Error('streamSpeech: the speech response has no body');
  const reader = body.getReader();
  let carry: number | undefined; // the low byte of a sample whose high byte is in the next chunk
  let finished = false;
  try {
    while (true) {
      if (request.signal?.aborted) throw abortError(request.signal.reason);
      let next: Awaited<ReturnType<typeof reader.read>>;
      try {
        next = await reader.read();
      } catch (err) {
        throw request.signal?.aborted ? abortError(request.signal.reason) : streamError(err);
      }
      const { done, value } = next;
      if (done) break;
      if (!value || value.length === 0) continue;
      const samples = toSamples(value, carry);
      carry = samples.carry;
      if (samples.pcm.length > 0) yield samples.pcm;
    }
    finished = true;
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
  // A trailing odd byte is half a sample: dropped.
}

/**
 * Errors in the SDK's own classes, so describeOpenAIError / isRetryableOpenAIError treat a failure in
 * the middle of the stream like one before it: an abort by the caller (a TimeoutError reason counts as
 * a timeout), or a connection that broke.
 */
function abortError(reason: unknown): APIUserAbortError {
  const error = new APIUserAbortError();
  (error as { cause?: unknown }).cause = reason;
  return error;
}

function streamError(err: unknown): Error {
  if (err instanceof Error && 'status' in err) return err; // already an SDK error
  const cause = err instanceof Error ? err : new Error(String(err));
  return new APIConnectionError({ message: `The speech stream broke off: ${cause.message}`, cause });
}

/** Little-endian Int16 from `bytes`, with `carry` (a pending low byte) in front. */
function toSamples(bytes: Uint8Array, carry: number | undefined): { pcm: Int16Array; carry: number | undefined } {
  const offset = carry === undefined ? 0 : 1;
  const total = bytes.length + offset;
  const count = total >> 1;
  const pcm = new Int16Array(count);
  const at = (index: number) => (index === 0 && carry !== undefined ? carry : bytes[index - offset]!);
  for (let i = 0; i < count; i += 1) {
    const lo = at(2 * i);
    const hi = at(2 * i + 1);
    pcm[i] = ((hi << 24) >> 16) | lo;
  }
  return { pcm, carry: total % 2 === 1 ? bytes[bytes.length - 1] : undefined };
}
