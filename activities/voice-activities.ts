import { ApplicationFailure } from '@temporalio/activity';
import type OpenAI from 'openai';
import type { AudioStore } from '../src/audio-store/audio-store';
import type { Logger } from '../src/logging/logger';
import { describeOpenAIError, isRetryableOpenAIError } from '../src/openai/client';
import { transcribeUtterance } from '../src/openai/speech-to-text';
import { metrics } from '../src/metrics/metrics';

export interface VoiceActivityDeps {
  openai: OpenAI;
  audioStore: AudioStore;
  voice: {
    sttModel: string;
    /** Spec 6.1: at most 10 s per transcription. */
    sttTimeoutMs: number;
    gatewayInternalUrl: string;
    gatewaySecret: string;
  };
  logger: Logger;
}

export interface SpeakResult {
  interrupted: boolean;
  playedMs: number;
  firstFrameMs: number | null;
  synthesisFirstByteMs: number;
  voiceToVoiceMs: number | null;
  greetingMs: number | null;
  endpointingMs: number | null;
  /** The phrase this reply answered was unfinished (the callee went on talking): nothing was played. */
  superseded: boolean;
}

export function createVoiceActivities({ voice }: VoiceActivityDeps) {
  return {
    /** TTS: the gateway synthesises the text and streams it onto the call's line as it arrives. */
    async speakText({ callId, text, cache }: { callId: string; text: string; cache: boolean }): Promise<SpeakResult> {
      return sayOnLine(voice, callId, text, cache);
    },
  };
}

/** STT of one stored utterance (spec 6.1: language ru, timeout <= 10 s; '' when it was noise); failures are logged (spec 8.2) and typed for Temporal's retry policy. */
export async function transcribeStored(
  { openai, audioStore, voice, logger }: VoiceActivityDeps,
  callId: string,
  audioKey: string,
): Promise<{ text: string; sttMs: number }> {
  const wav = await audioStore.get(audioKey);
  const startedAt = performance.now();
  try {
    const { text } = await transcribeUtterance(openai, {
      model: voice.sttModel,
      wav,
      language: 'ru',
      timeoutMs: Math.min(voice.sttTimeoutMs, 10_000),
    });
    const sttMs = Math.round(performance.now() - startedAt);
    metrics.stage.observe({ stage: 'stt' }, sttMs / 1000);
    return { text, sttMs };
  } catch (err) {
    metrics.errors.inc({ kind: 'stt' });
    const described = describeOpenAIError(err);
    logger.error({ call_id: callId, stage: 'STT', kind: described.kind, status: described.status, err_message: described.message }, 'openai request failed');
    const message = `STT failed (${described.kind}): ${described.message}`;
    throw isRetryableOpenAIError(err)
      ? ApplicationFailure.retryable(message, 'OpenAIError')
      : ApplicationFailure.nonRetryable(message, 'NonRetryableOpenAIError');
  }
}

/** Asks the media gateway to say `text` on the call's line; resolves when it was played or cut. */
export async function sayOnLine(
  voice: Pick<VoiceActivityDeps['voice'], 'gatewayInternalUrl' | 'gatewaySecret'>,
  callId: string,
  text: string,
  cache: boolean,
  answering?: string,
  part?: { turn: string; index: number },
): Promise<SpeakResult> {
  const response = await fetch(`${voice.gatewayInternalUrl}/internal/calls/${callId}/say`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-internal-secret': voice.gatewaySecret },
    body: JSON.stringify({ text, cache, ...(answering !== undefined ? { answering } : {}), ...(part !== undefined ? { part } : {}) }),
  });
  const body = (await response.json()) as {
    played_ms?: number;
    interrupted?: boolean;
    first_frame_ms?: number | null;
    synthesis_first_byte_ms?: number;
    voice_to_voice_ms?: number | null;
    greeting_ms?: number | null;
    endpointing_ms?: number | null;
    superseded?: boolean;
    error?: { code: string; message: string };
  };
  if (!response.ok) {
    // No media stream means the line is gone: retrying cannot help.
    const retryable = response.status >= 500 && body.error?.code !== 'no_media_session';
    const message = `speech failed (${response.status} ${body.error?.code ?? ''}): ${body.error?.message ?? ''}`;
    throw retryable ? ApplicationFailure.retryable(message, 'SpeechError') : ApplicationFailure.nonRetryable(message, 'NonRetryableSpeechError');
  }
  return {
    interrupted: body.interrupted ?? false,
    playedMs: body.played_ms ?? 0,
    firstFrameMs: body.first_frame_ms ?? null,
    synthesisFirstByteMs: body.synthesis_first_byte_ms ?? 0,
    voiceToVoiceMs: body.voice_to_voice_ms ?? null,
    greetingMs: body.greeting_ms ?? null,
    endpointingMs: body.endpointing_ms ?? null,
    superseded: body.superseded ?? false,
  };
}
