import type OpenAI from 'openai';
import { ttsModelOf, type AppConfig, type Env } from '../config/env';
import type { Logger } from '../logging/logger';
import { createOpenAIClient } from './client';
import { startOpenAIEmulator, type OpenAIEmulator } from './emulator';
import { deprecatedModelsInUse } from './model-lifecycle';

/**
 * Provider latencies the emulator imitates (ms). After its first byte, TTS audio streams at twice
 * real time (OpenAI's streaming TTS runs ahead of playback; an exactly real-time source would turn
 * every timer hiccup of the emulator into a playback underrun). `slow` also answers every 25th request with a 429.
 */
export const EMULATOR_LATENCY_PROFILES = {
  none: {},
  fast: { sttMs: 250, chatFirstTokenMs: 250, perTokenMs: 10, ttsFirstByteMs: 150, ttsPacing: 2, realtimeTranscriptMs: 100, realtimeFirstAudioMs: 200 },
  typical: { sttMs: 400, chatFirstTokenMs: 350, perTokenMs: 20, ttsFirstByteMs: 250, ttsPacing: 2, realtimeTranscriptMs: 150, realtimeFirstAudioMs: 300 },
  slow: { sttMs: 900, chatFirstTokenMs: 800, perTokenMs: 30, ttsFirstByteMs: 600, ttsPacing: 2, rateLimitEvery: 25, realtimeTranscriptMs: 400, realtimeFirstAudioMs: 700 },
} as const;

export interface ConfiguredOpenAI {
  client: OpenAI;
  /** Set when no OPENAI_API_KEY was given and the local emulator stands in for OpenAI. */
  emulator: OpenAIEmulator | null;
}

/**
 * The one OpenAI client of the process. Without OPENAI_API_KEY (development only; production
 * requires the key) it talks to the local OpenAI-compatible emulator and says so loudly.
 */
export async function setUpOpenAI(config: AppConfig, logger: Logger): Promise<ConfiguredOpenAI> {
  const { env } = config;
  warnAboutDeprecatedModels(env, logger);
  if (env.OPENAI_API_KEY) {
    return {
      client: createOpenAIClient({
        apiKey: env.OPENAI_API_KEY,
        baseURL: env.OPENAI_BASE_URL,
        timeoutMs: env.OPENAI_TIMEOUT_MS,
        maxRetries: 0, // retries are Temporal's activity retries (README "Retries")
        logger,
      }),
      emulator: null,
    };
  }
  const emulator = await startOpenAIEmulator({
    logger: logger.child({ component: 'openai-emulator' }),
    latency: EMULATOR_LATENCY_PROFILES[env.OPENAI_EMULATOR_LATENCY],
    speech: { prewarm: true },
  });
  logger.warn(
    { emulator_url: emulator.url, latency_profile: env.OPENAI_EMULATOR_LATENCY },
    'OPENAI_API_KEY is not set: using the LOCAL OpenAI EMULATOR (rule-based Russian replies, keyword classification), not OpenAI. Set OPENAI_API_KEY to use the real OpenAI API.',
  );
  return {
    client: createOpenAIClient({
      apiKey: 'emulator-no-key',
      baseURL: emulator.url,
      timeoutMs: env.OPENAI_TIMEOUT_MS,
      maxRetries: 0, // retries are Temporal's activity retries (README "Retries")
      logger,
    }),
    emulator,
  };
}

/** The OpenAI models this configuration uses, by the setting that chose each. */
export function modelsInUse(env: Env): Record<string, string> {
  return {
    OPENAI_CHAT_MODEL: env.OPENAI_CHAT_MODEL,
    OPENAI_CLASSIFIER_MODEL: env.OPENAI_CLASSIFIER_MODEL,
    OPENAI_STT_MODEL: env.OPENAI_STT_MODEL,
    OPENAI_TTS_MODEL: ttsModelOf(env),
    ...(env.OPENAI_STT_API === 'realtime' ? { OPENAI_STT_REALTIME_MODEL: env.OPENAI_STT_REALTIME_MODEL } : {}),
    ...(env.DIALOG_MODE === 'realtime' ? { OPENAI_REALTIME_MODEL: env.OPENAI_REALTIME_MODEL } : {}),
  };
}

/** One warning per configured model that the installed SDK marks as deprecated (an error once its shutdown date has passed). */
export function warnAboutDeprecatedModels(env: Env, logger: Logger, today = new Date()): void {
  for (const found of deprecatedModelsInUse(modelsInUse(env), undefined, today)) {
    const fields = { setting: found.setting, model: found.model, shutdown_date: found.shutdownDate, days_left: found.daysLeft };
    if (found.daysLeft < 0) logger.error(fields, `${found.setting}=${found.model} was shut down by OpenAI on ${found.shutdownDate}: requests will fail. Choose a current model.`);
    else logger.warn(fields, `${found.setting}=${found.model} is deprecated: OpenAI shuts it down on ${found.shutdownDate} (in ${found.daysLeft} days). Choose a current model.`);
  }
}
