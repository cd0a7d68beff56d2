/**
 * CascadeVoiceOperator (OpenAI STT -> OpenAI reply model -> OpenAI TTS) through the VoiceOperator
 * conformance suite (conformance.ts), in both ways it voices a reply, against the local emulator.
 */
import { createOpenAIClient } from '../../src/openai/client';
import { CascadeVoiceOperator } from '../../src/speech-providers/cascade-voice-operator';
import { OpenAIReplyModel } from '../../src/speech-providers/openai/openai-reply-model';
import { OpenAISpeechToText } from '../../src/speech-providers/openai/openai-speech-to-text';
import { OpenAITextToSpeech } from '../../src/speech-providers/openai/openai-text-to-speech';
import { describeVoiceOperatorConformance, useConformanceEmulator, type VoiceOperatorEnvironment, type VoiceOperatorUnderTest } from './conformance';

const emulator = useConformanceEmulator();

/** As the service configures the providers (createOpenAISpeechProviders), each with its own client. */
function cascade(env: VoiceOperatorEnvironment, replySpeech: 'streamed' | 'whole'): VoiceOperatorUnderTest {
  const client = createOpenAIClient({ apiKey: 'sk-conformance-test', baseURL: env.baseURL, timeoutMs: env.timeoutMs, maxRetries: 2 });
  const replyModel = new OpenAIReplyModel({
    client,
    model: 'gpt-4.1-mini',
    systemPrompt: env.systemPrompt,
    temperature: 0.7,
    maxOutputTokens: 200,
    maxHistoryTurns: 20,
    timeoutMs: env.timeoutMs,
  });
  const operator = new CascadeVoiceOperator({
    stt: new OpenAISpeechToText({ client, model: 'gpt-4o-mini-transcribe', timeoutMs: env.timeoutMs }),
    replyModel,
    tts: new OpenAITextToSpeech({ client, model: 'gpt-4o-mini-tts', voice: 'marin', timeoutMs: env.timeoutMs }),
    replySpeech,
  });
  return { operator, replyModel, replySpeech };
}

describeVoiceOperatorConformance('CascadeVoiceOperator (OpenAI, streamed)', emulator, (env) => cascade(env, 'streamed'));
describeVoiceOperatorConformance('CascadeVoiceOperator (OpenAI, whole)', emulator, (env) => cascade(env, 'whole'));
