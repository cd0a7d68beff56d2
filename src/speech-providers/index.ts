import type OpenAI from 'openai';
import path from 'node:path';
import type { AppConfig } from '../config/env';
import { loadSystemPrompt } from '../openai/system-prompt';
import { projectRoot } from '../util/project-root';
import type { CallClassifier } from './call-classifier';
import { OpenAICallClassifier } from './openai/openai-call-classifier';
import { OpenAIReplyModel } from './openai/openai-reply-model';
import { OpenAISpeechToText } from './openai/openai-speech-to-text';
import { OpenAITextToSpeech } from './openai/openai-text-to-speech';
import type { ReplyModel } from './reply-model';
import type { SpeechToText } from './speech-to-text';
import type { TextToSpeech } from './text-to-speech';

export type { CallClassifier, CallOutcome } from './call-classifier';
export type { ReplyModel, ReplyPiece, ReplyRequest } from './reply-model';
export type { PhraseAudio, PhraseTranscript, SpeechToText } from './speech-to-text';
export type { TextToSpeech } from './text-to-speech';
export { SpeechProviderError, PROVIDER_REJECTED, PROVIDER_UNAVAILABLE } from './provider-error';

/** The speech providers of one process: the cascade STT -> reply model -> TTS, and the post-call classifier. */
export interface SpeechProviders {
  stt: SpeechToText;
  replyModel: ReplyModel;
  tts: TextToSpeech;
  classifier: CallClassifier;
}

/** OpenAI (or the local emulator standing in for it) for every stage, configured from the environment. */
export function createOpenAISpeechProviders(client: OpenAI, config: AppConfig): SpeechProviders {
  const { env } = config;
  const timeoutMs = env.OPENAI_TIMEOUT_MS;
  return {
    stt: new OpenAISpeechToText({ client, model: env.OPENAI_STT_MODEL, timeoutMs }),
    replyModel: new OpenAIReplyModel({
      client,
      model: env.OPENAI_CHAT_MODEL,
      systemPrompt: loadSystemPrompt(path.resolve(projectRoot(), env.SYSTEM_PROMPT_FILE)),
      temperature: env.OPENAI_TEMPERATURE,
      maxOutputTokens: env.OPENAI_MAX_OUTPUT_TOKENS,
      maxHistoryTurns: env.DIALOG_HISTORY_TURNS,
      timeoutMs,
    }),
    tts: new OpenAITextToSpeech({ client, model: env.OPENAI_TTS_MODEL, voice: env.OPENAI_TTS_VOICE, timeoutMs }),
    classifier: new OpenAICallClassifier({ client, model: env.OPENAI_CLASSIFIER_MODEL, timeoutMs }),
  };
}
export type { SpokenPiece, VoiceOperator, VoiceOperatorSession } from './voice-operator';
export { CascadeVoiceOperator } from './cascade-voice-operator';
