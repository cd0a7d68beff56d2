import type OpenAI from 'openai';
import path from 'node:path';
import { ttsModelOf, type AppConfig } from '../config/env';
import type { Logger } from '../logging/logger';
import { loadSystemPrompt } from '../openai/system-prompt';
import { projectRoot } from '../util/project-root';
import type { CallClassifier } from './call-classifier';
import { OpenAICallClassifier } from './openai/openai-call-classifier';
import { OpenAIReplyModel } from './openai/openai-reply-model';
import { OpenAISpeechToText } from './openai/openai-speech-to-text';
import { OpenAITextToSpeech } from './openai/openai-text-to-speech';
import { OpenAIRealtimeSpeechToText } from './openai/realtime/realtime-speech-to-text';
import { OpenAIRealtimeTextToSpeech } from './openai/realtime/realtime-text-to-speech';
import { OpenAIRealtimeVoiceOperator } from './openai/realtime/realtime-voice-operator';
import { CascadeVoiceOperator } from './cascade-voice-operator';
import type { VoiceOperator } from './voice-operator';
import type { ReplyModel } from './reply-model';
import type { SpeechToText } from './speech-to-text';
import type { TextToSpeech } from './text-to-speech';

export type { CallClassifier, CallOutcome } from './call-classifier';
export type { ReplyModel, ReplyPiece, ReplyRequest } from './reply-model';
export type { PhraseAudio, PhraseTranscript, SpeechToText } from './speech-to-text';
export type { SpokenAudio, TextToSpeech, TextToSpeechSession } from './text-to-speech';
export type { LineAudioFormat, SpeechCall } from './speech-call';
export { SpeechProviderError, PROVIDER_REJECTED, PROVIDER_UNAVAILABLE } from './provider-error';

/** The speech providers of one process: the cascade STT -> reply model -> TTS, and the post-call classifier. */
export interface SpeechProviders {
  /** Recognition of finished phrases (and the fallback of the streaming one). */
  stt: SpeechToText;
  /** Recognition while the callee talks (OPENAI_STT_API=realtime). */
  streamingStt?: SpeechToText;
  replyModel: ReplyModel;
  tts: TextToSpeech;
  classifier: CallClassifier;
}

export interface OpenAIProviderOptions {
  /** A certificate to trust for the Realtime API's wss:// (the local emulator's); unset for OpenAI. */
  realtimeTlsCa?: string;
  logger?: Logger;
}

/**
 * The operator's voice on a call, as configured: DIALOG_MODE=cascade (the spec's design: STT ->
 * reply model -> TTS, with streaming recognition when OPENAI_STT_API=realtime) or realtime (a
 * Realtime API speech-to-speech model is the operator).
 */
export function createVoiceOperator(client: OpenAI, config: AppConfig, providers: SpeechProviders, options: OpenAIProviderOptions = {}): VoiceOperator {
  const { env } = config;
  if (env.DIALOG_MODE === 'realtime') {
    return new OpenAIRealtimeVoiceOperator({
      client,
      model: env.OPENAI_REALTIME_MODEL,
      voice: env.OPENAI_TTS_VOICE,
      systemPrompt: loadSystemPrompt(path.resolve(projectRoot(), env.SYSTEM_PROMPT_FILE)),
      transcriptionModel: env.OPENAI_STT_REALTIME_MODEL,
      timeoutMs: env.OPENAI_TIMEOUT_MS,
      fallbackStt: providers.stt,
      ...(options.realtimeTlsCa ? { tlsCa: options.realtimeTlsCa } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
  }
  return new CascadeVoiceOperator({
    stt: providers.stt,
    ...(providers.streamingStt ? { streamingStt: providers.streamingStt } : {}),
    replyModel: providers.replyModel,
    tts: providers.tts,
    replySpeech: env.REPLY_SPEECH,
    ...(options.logger ? { logger: options.logger } : {}),
  });
}

/** OpenAI (or the local emulator standing in for it) for every stage, configured from the environment. */
export function createOpenAISpeechProviders(client: OpenAI, config: AppConfig, options: OpenAIProviderOptions = {}): SpeechProviders {
  const { env } = config;
  const timeoutMs = env.OPENAI_TIMEOUT_MS;
  const realtime = { ...(options.realtimeTlsCa ? { tlsCa: options.realtimeTlsCa } : {}), ...(options.logger ? { logger: options.logger } : {}) };
  return {
    stt: new OpenAISpeechToText({ client, model: env.OPENAI_STT_MODEL, timeoutMs }),
    ...(env.OPENAI_STT_API === 'realtime' ? { streamingStt: new OpenAIRealtimeSpeechToText({ client, model: env.OPENAI_STT_REALTIME_MODEL, timeoutMs, ...realtime }) } : {}),
    replyModel: new OpenAIReplyModel({
      client,
      model: env.OPENAI_CHAT_MODEL,
      systemPrompt: loadSystemPrompt(path.resolve(projectRoot(), env.SYSTEM_PROMPT_FILE)),
      temperature: env.OPENAI_TEMPERATURE,
      reasoningEffort: env.OPENAI_REASONING_EFFORT,
      maxOutputTokens: env.OPENAI_MAX_OUTPUT_TOKENS,
      maxHistoryTurns: env.DIALOG_HISTORY_TURNS,
      timeoutMs,
    }),
    tts:
      env.OPENAI_TTS_API === 'realtime'
        ? new OpenAIRealtimeTextToSpeech({ client, model: ttsModelOf(env), voice: env.OPENAI_TTS_VOICE, timeoutMs, ...realtime })
        : new OpenAITextToSpeech({ client, model: ttsModelOf(env), voice: env.OPENAI_TTS_VOICE, timeoutMs }),
    classifier: new OpenAICallClassifier({ client, model: env.OPENAI_CLASSIFIER_MODEL, timeoutMs, reasoningEffort: env.OPENAI_REASONING_EFFORT }),
  };
}
export type { SpokenPiece, VoiceOperator, VoiceOperatorSession } from './voice-operator';
export { CascadeVoiceOperator } from './cascade-voice-operator';

/** The configured operator over the process's OpenAI client (or the local emulator, whose certificate it trusts). */
export function openAIVoiceOperator(openai: { client: OpenAI; emulator: { tlsCa: string } | null }, config: AppConfig, logger: Logger): VoiceOperator {
  const options: OpenAIProviderOptions = { ...(openai.emulator ? { realtimeTlsCa: openai.emulator.tlsCa } : {}), logger };
  return createVoiceOperator(openai.client, config, createOpenAISpeechProviders(openai.client, config, options), options);
}
