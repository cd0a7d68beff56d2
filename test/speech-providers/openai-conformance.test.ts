/**
 * The OpenAI implementations of the speech-provider interfaces through the shared conformance suite
 * (conformance.ts), with the real openai SDK over HTTP against the local emulator.
 */
import { createOpenAIClient } from '../../src/openai/client';
import { OpenAICallClassifier } from '../../src/speech-providers/openai/openai-call-classifier';
import { OpenAIReplyModel } from '../../src/speech-providers/openai/openai-reply-model';
import { OpenAISpeechToText } from '../../src/speech-providers/openai/openai-speech-to-text';
import { OpenAITextToSpeech } from '../../src/speech-providers/openai/openai-text-to-speech';
import {
  describeActivityFailureConformance,
  describeCallClassifierConformance,
  describeReplyModelConformance,
  describeSpeechToTextConformance,
  describeTextToSpeechConformance,
  useConformanceEmulator,
  type ProviderEnvironment,
} from './conformance';

const emulator = useConformanceEmulator();

/**
 * As the service configures it: the client may retry (OPENAI_MAX_RETRIES), so the suite's
 * "one request per failure" shows that every implementation turns SDK retries off (Temporal retries).
 */
const client = (env: ProviderEnvironment) => createOpenAIClient({ apiKey: 'sk-conformance-test', baseURL: env.baseURL, timeoutMs: env.timeoutMs, maxRetries: 2 });

describeSpeechToTextConformance('OpenAISpeechToText', emulator, (env) => new OpenAISpeechToText({ client: client(env), model: 'gpt-4o-mini-transcribe', timeoutMs: env.timeoutMs }));

describeReplyModelConformance(
  'OpenAIReplyModel',
  emulator,
  (env) =>
    new OpenAIReplyModel({
      client: client(env),
      model: 'gpt-4.1-mini',
      systemPrompt: env.systemPrompt,
      temperature: 0.7,
      maxOutputTokens: 200,
      maxHistoryTurns: 20,
      timeoutMs: env.timeoutMs,
    }),
);

describeTextToSpeechConformance(
  'OpenAITextToSpeech',
  emulator,
  (env) => new OpenAITextToSpeech({ client: client(env), model: 'gpt-4o-mini-tts', voice: 'marin', timeoutMs: env.timeoutMs }),
);

describeCallClassifierConformance('OpenAICallClassifier', emulator, (env) => new OpenAICallClassifier({ client: client(env), model: 'gpt-4.1-mini', timeoutMs: env.timeoutMs }));

describeActivityFailureConformance();
