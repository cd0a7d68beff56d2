import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Logger } from '../../../logging/logger';
import { synthesizeWithEspeak, EspeakError, ESPEAK_DEFAULT_RATE, ESPEAK_SAMPLE_RATE } from '../../../speech-synthesis/espeak';
import { pcm16ToBuffer } from '../../../audio/pcm';
import { isWav, parseWav, wavHeader, WavFormatError } from '../../../speech-synthesis/wav';
import { openAIErrorBody, requestErrorBody } from '../request-schema';
import type { EmulatorRoute, EmulatorRouteContext } from '../server';
import { multipartBoundary, MultipartError, parseMultipart } from './multipart';
import { getPhraseRecognizer } from './recognizer';
import { resampleLinear } from './resample';

/**
 * EMULATED OpenAI audio endpoints (not the OpenAI API), mounted by default on the local emulator:
 * - POST /v1/audio/speech: the input is spoken by espeak-ng (a robotic local stand-in voice, Russian),
 *   resampled to 24 kHz and streamed in ~40 ms chunks (chunked transfer encoding) as `pcm` or `wav`.
 * - POST /v1/audio/transcriptions: "recognises" the uploaded WAV by acoustic matching against a
 *   closed phrase bank (see recognizer.ts). The text comes from the audio only.
 */

export const SPEECH_PATH = '/v1/audio/speech';
export const TRANSCRIPTIONS_PATH = '/v1/audio/transcriptions';
export const EMULATED_TTS_SAMPLE_RATE = 24000;

export interface SpeechRouteLatency {
  /** Time from the request to the first audio byte of /v1/audio/speech (synthesis time counts in it). */
  ttsFirstByteMs?: number;
  /**
   * Pace of the audio stream as a multiple of real time: 1 sends 40 ms of audio every 40 ms, 2 twice
   * as fast; 0 or absent sends it as fast as the client reads.
   */
  ttsPacing?: number;
  /** Extra time before a transcription is answered. */
  sttMs?: number;
}

export interface SpeechRouteOptions {
  latency?: SpeechRouteLatency;
  logger?: Logger;
  /** Phrases recognised besides the default bank (persona lines + a few short answers). */
  extraPhrases?: readonly string[];
  /** DTW distance threshold of the phrase matcher; default DEFAULT_MATCH_THRESHOLD. */
  matchThreshold?: number;
  /** Audio per streamed chunk; default 40 ms. */
  chunkMs?: number;
  /**
   * Build the phrase bank (about 26 espeak-ng runs, ~0.5 s) when the routes are created instead of on
   * the first transcription, so that one is not slow. Default false.
   */
  prewarm?: boolean;
}

/** The voices the API accepts (tts-1 takes a subset; the emulator does not check that). */
export const TTS_VOICES = ['alloy', 'ash', 'ballad', 'coral', 'echo', 'fable', 'nova', 'onyx', 'sage', 'shimmer', 'verse', 'marin', 'cedar'] as const;

/** espeak-ng base pitch per voice, so different voices are told apart; everything else is the same robot. */
export const VOICE_PITCH: Readonly<Record<string, number>> = {
  alloy: 55,
  ash: 40,
  ballad: 45,
  coral: 62,
  echo: 38,
  fable: 48,
  nova: 65,
  onyx: 32,
  sage: 58,
  shimmer: 68,
  verse: 44,
  marin: 60,
  cedar: 42,
};

const SpeechRequestSchema = z.looseObject({
  model: z.string().min(1),
  input: z.string().min(1).max(4096),
  voice: z.union([z.enum(TTS_VOICES), z.looseObject({ id: z.string().min(1) })]),
  response_format: z.enum(['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm']).optional(),
  speed: z.number().min(0.25).max(4).optional(),
  instructions: z.string().max(4096).optional(),
  stream_format: z.enum(['audio', 'sse']).optional(),
});

const TranscriptionFieldsSchema = z.looseObject({
  model: z.string().min(1),
  language: z.string().min(2).max(10).optional(),
  /** `languages[]` form fields (gpt-transcribe, gpt-live-transcribe). */
  languages: z.array(z.string().min(2).max(10)).optional(),
  prompt: z.string().optional(),
  response_format: z.enum(['json', 'text', 'srt', 'verbose_json', 'vtt', 'diarized_json']).optional(),
  temperature: z.coerce.number().min(0).max(1).optional(),
  stream: z.enum(['true', 'false']).optional(),
});

const badRequest = (message: string, param: string | null, code: string | null = 'invalid_value') =>
  openAIErrorBody(`${message} (emulator)`, 'invalid_request_error', code, param);

/** Resolves true after `ms`, or false as soon as the client has gone (or the emulator closed its socket). */
function pause(ms: number, res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    if (res.destroyed) return resolve(false);
    if (ms <= 0) return resolve(true);
    const onClose = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      res.off('close', onClose);
      resolve(!res.destroyed);
    }, ms);
    res.once('close', onClose);
  });
}

/** Writes a chunk, waiting for the socket to drain when the client reads slowly; false when the client has gone. */
function write(res: ServerResponse, chunk: Buffer): Promise<boolean> {
  if (res.destroyed || res.writableEnded) return Promise.resolve(false);
  if (res.write(chunk)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => () => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = done(true);
    const onClose = done(false);
    res.once('drain', onDrain);
    res.once('close', onClose);
  });
}

export function createSpeechRoutes(options: SpeechRouteOptions = {}): EmulatorRoute[] {
  const logger = options.logger;
  const firstByteMs = Math.max(0, options.latency?.ttsFirstByteMs ?? 0);
  const pacing = Math.max(0, options.latency?.ttsPacing ?? 0);
  const sttMs = Math.max(0, options.latency?.sttMs ?? 0);
  const chunkSamples = Math.max(1, Math.round(((options.chunkMs ?? 40) * EMULATED_TTS_SAMPLE_RATE) / 1000));
  const chunkMs = (chunkSamples * 1000) / EMULATED_TTS_SAMPLE_RATE;
  const recognizer = () => getPhraseRecognizer(options.extraPhrases ?? [], options.matchThreshold);
  if (options.prewarm) {
    recognizer().catch((err: unknown) => logger?.warn({ err }, 'openai emulator: could not build the phrase bank'));
  }
  /** espeak-ng missing or failing: a 500 that says so, instead of a generic one. */
  const espeakFailure = (err: unknown, sendJson: EmulatorRouteContext['sendJson']): boolean => {
    if (!(err instanceof EspeakError)) return false;
    logger?.error({ err }, 'openai emulator: espeak-ng failed');
    sendJson(500, openAIErrorBody(`Emulator speech failed: ${err.message}`, 'server_error'));
    return true;
  };

  const handleSpeech = async ({ res, body, sendJson }: EmulatorRouteContext) => {
    const started = performance.now();
    if (body === undefined || typeof body !== 'object' || body === null || Array.isArray(body)) {
      sendJson(400, badRequest('We could not parse the JSON body of your request', null, null));
      return;
    }
    const parsed = SpeechRequestSchema.safeParse(body);
    if (!parsed.success) {
      sendJson(400, requestErrorBody(parsed.error));
      return;
    }
    const request = parsed.data;
    const format = request.response_format ?? 'mp3';
    if (format !== 'pcm' && format !== 'wav') {
      sendJson(400, badRequest(`The emulator only produces response_format 'pcm' or 'wav', not '${format}'`, 'response_format'));
      return;
    }
    if (request.stream_format === 'sse') {
      sendJson(400, badRequest("The emulator does not support stream_format 'sse'", 'stream_format'));
      return;
    }
    const voiceName = typeof request.voice === 'string' ? request.voice : request.voice.id;
    let audio;
    try {
      audio = await synthesizeWithEspeak(request.input, {
        voice: 'ru',
        rate: ESPEAK_DEFAULT_RATE * (request.speed ?? 1),
        pitch: VOICE_PITCH[voiceName] ?? 50,
      });
    } catch (err) {
      if (espeakFailure(err, sendJson)) return;
      throw err;
    }
    const samples = resampleLinear(audio.samples, ESPEAK_SAMPLE_RATE, EMULATED_TTS_SAMPLE_RATE);
    const synthesisMs = performance.now() - started;
    if (!(await pause(firstByteMs - synthesisMs, res))) return;
    logger?.debug(
      { model: request.model, voice: voiceName, format, chars: request.input.length, audioMs: Math.round((samples.length * 1000) / EMULATED_TTS_SAMPLE_RATE) },
      'openai emulator: speech (espeak-ng stand-in)',
    );
    res.writeHead(200, {
      'content-type': format === 'wav' ? 'audio/wav' : 'application/octet-stream',
      'transfer-encoding': 'chunked',
      'x-emulator-voice': 'espeak-ng',
    });
    const streamStart = performance.now();
    for (let index = 0, offset = 0; offset < samples.length; index += 1, offset += chunkSamples) {
      if (pacing > 0 && index > 0) {
        const due = streamStart + (index * chunkMs) / pacing;
        if (!(await pause(due - performance.now(), res))) return;
      }
      let bytes = pcm16ToBuffer(samples.subarray(offset, offset + chunkSamples));
      if (index === 0 && format === 'wav') bytes = Buffer.concat([wavHeader(EMULATED_TTS_SAMPLE_RATE, 0xffffffff), bytes]);
      if (!(await write(res, bytes))) return;
    }
    res.end();
  };

  const handleTranscription = async ({ req, res, rawBody, sendJson }: EmulatorRouteContext) => {
    const started = performance.now();
    const boundary = multipartBoundary(req.headers['content-type'] ?? '');
    if (!boundary) {
      sendJson(400, badRequest("Invalid Content-Type header (expected 'multipart/form-data' with a boundary)", null, null));
      return;
    }
    let parts;
    try {
      parts = parseMultipart(rawBody, boundary);
    } catch (err) {
      if (err instanceof MultipartError) {
        sendJson(400, badRequest(`Could not parse multipart form: ${err.message}`, null, null));
        return;
      }
      throw err;
    }
    const fields: Record<string, string | string[]> = {};
    for (const part of parts) {
      if (part.filename !== undefined) continue;
      const value = part.data.toString('utf8');
      // The SDK sends an array as repeated `name[]` fields.
      if (part.name.endsWith('[]')) {
        const name = part.name.slice(0, -2);
        const list = fields[name];
        fields[name] = Array.isArray(list) ? [...list, value] : [value];
      } else fields[part.name] = value;
    }
    const parsed = TranscriptionFieldsSchema.safeParse(fields);
    if (!parsed.success) {
      sendJson(400, requestErrorBody(parsed.error));
      return;
    }
    const request = parsed.data;
    // As the API: the current models take `languages` and refuse `language`; never both.
    if (request.language !== undefined && request.languages !== undefined) {
      sendJson(400, badRequest("Use either 'language' or 'languages', not both", 'languages', 'invalid_parameter_combination'));
      return;
    }
    if (/^gpt-(live-)?transcribe(\b|-|$)/.test(request.model) && request.language !== undefined) {
      sendJson(400, badRequest(`'language' is not supported by ${request.model}: use 'languages'`, 'language', 'unsupported_parameter'));
      return;
    }
    const format = request.response_format ?? 'json';
    if (request.stream === 'true') {
      sendJson(400, badRequest('The emulator does not support streamed transcriptions', 'stream'));
      return;
    }
    if (format !== 'json' && format !== 'text' && format !== 'verbose_json') {
      sendJson(400, badRequest(`The emulator does not support response_format '${format}'`, 'response_format'));
      return;
    }
    if (format === 'verbose_json' && /transcribe/.test(request.model)) {
      sendJson(400, badRequest(`response_format 'verbose_json' is not compatible with model '${request.model}'`, 'response_format', 'unsupported_value'));
      return;
    }
    const file = parts.find((part) => part.name === 'file');
    if (!file || file.filename === undefined) {
      sendJson(400, badRequest("Missing required parameter: 'file'", 'file', 'missing_required_parameter'));
      return;
    }
    if (!isWav(file.data)) {
      sendJson(400, badRequest('Audio file might be corrupted or unsupported: the emulator reads WAV only', 'file'));
      return;
    }
    let audio;
    try {
      audio = parseWav(file.data);
    } catch (err) {
      if (err instanceof WavFormatError) {
        sendJson(400, badRequest(`Audio file might be corrupted or unsupported: ${err.message}`, 'file'));
        return;
      }
      throw err;
    }
    let matcher;
    try {
      matcher = await recognizer();
    } catch (err) {
      if (espeakFailure(err, sendJson)) return;
      throw err;
    }
    const result = matcher.recognize(audio);
    const durationSeconds = audio.samples.length / audio.sampleRate;
    logger?.debug(
      {
        model: request.model,
        seconds: Number(durationSeconds.toFixed(2)),
        reason: result.reason,
        text: result.text,
        best: result.best,
        second: result.second,
        matchMs: Number(result.elapsedMs.toFixed(1)),
      },
      'openai emulator: transcription (phrase-bank matcher)',
    );
    if (!(await pause(sttMs - (performance.now() - started), res))) return;
    const diagnostics = {
      'x-emulator-stt-reason': result.reason,
      'x-emulator-stt-distance': result.best && Number.isFinite(result.best.distance) ? result.best.distance.toFixed(3) : 'none',
    };
    if (format === 'text') {
      if (res.headersSent || res.destroyed) return;
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', ...diagnostics });
      res.end(result.text);
      return;
    }
    if (format === 'verbose_json') {
      sendJson(
        200,
        {
          task: 'transcribe',
          language: (request.language ?? request.languages?.[0] ?? 'ru') === 'ru' ? 'russian' : (request.language ?? request.languages?.[0]),
          duration: Number(durationSeconds.toFixed(3)),
          text: result.text,
          segments: [],
        },
        diagnostics,
      );
      return;
    }
    sendJson(200, { text: result.text }, diagnostics);
  };

  return [
    { method: 'POST', path: SPEECH_PATH, handle: handleSpeech },
    { method: 'POST', path: TRANSCRIPTIONS_PATH, handle: handleTranscription },
  ];
}
