import type OpenAI from 'openai';
import { createOpenAIClient } from '../../src/openai/client';
import { OpenAICallClassifier } from '../../src/speech-providers/openai/openai-call-classifier';
import { OpenAIReplyModel } from '../../src/speech-providers/openai/openai-reply-model';
import { OpenAISpeechToText } from '../../src/speech-providers/openai/openai-speech-to-text';
import { OpenAITextToSpeech } from '../../src/speech-providers/openai/openai-text-to-speech';
import { OpenAIRealtimeSpeechToText } from '../../src/speech-providers/openai/realtime/realtime-speech-to-text';
import { OpenAIRealtimeTextToSpeech } from '../../src/speech-providers/openai/realtime/realtime-text-to-speech';
import type { ProviderEnvironment, ReplyModelEnvironment } from './conformance';

/**
 * The OpenAI implementations as the service configures them (createOpenAISpeechProviders), for the
 * conformance suites. The client may retry, so the suites' "one request per failure" shows that every
 * implementation turns SDK retries off (retries are Temporal's).
 */
export const openAIClient = (env: ProviderEnvironment): OpenAI => createOpenAIClient({ apiKey: 'sk-conformance-test', baseURL: env.baseURL, timeoutMs: env.timeoutMs, maxRetries: 2 });

export const openAISpeechToText = (env: ProviderEnvironment, client = openAIClient(env)) => new OpenAISpeechToText({ client, model: 'gpt-transcribe', timeoutMs: env.timeoutMs });

export const openAIReplyModel = (env: ReplyModelEnvironment, client = openAIClient(env)) =>
  new OpenAIReplyModel({ client, model: 'gpt-6-luna', systemPrompt: env.systemPrompt, temperature: 0.7, maxOutputTokens: 200, maxHistoryTurns: 20, timeoutMs: env.timeoutMs });

export const openAITextToSpeech = (env: ProviderEnvironment, client = openAIClient(env)) => new OpenAITextToSpeech({ client, model: 'gpt-4o-mini-tts', voice: 'marin', timeoutMs: env.timeoutMs });

export const openAICallClassifier = (env: ProviderEnvironment, client = openAIClient(env)) => new OpenAICallClassifier({ client, model: 'gpt-6-luna', timeoutMs: env.timeoutMs });

/** Speech through the Realtime API (one WebSocket session per call; `synthesize` opens one per line). */
export const openAIRealtimeTextToSpeech = (env: ProviderEnvironment, client = openAIClient(env)) =>
  new OpenAIRealtimeTextToSpeech({ client, model: 'gpt-realtime-2.1-mini', voice: 'marin', timeoutMs: env.timeoutMs, tlsCa: env.tlsCa });

/** Recognition over a Realtime transcription session (`transcribe` opens one per phrase; `openStream` one per call). */
export const openAIRealtimeSpeechToText = (env: ProviderEnvironment, client = openAIClient(env)) =>
  new OpenAIRealtimeSpeechToText({ client, model: 'gpt-live-transcribe', timeoutMs: env.timeoutMs, tlsCa: env.tlsCa });
