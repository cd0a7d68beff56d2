import type OpenAI from 'openai';
import type { AppConfig } from '../config/env';
import type { Logger } from '../logging/logger';
import { createOpenAIClient } from './client';
import { startOpenAIEmulator, type OpenAIEmulator } from './emulator';

/**
 * Provider latencies the emulator imitates (ms). After its first byte, TTS audio streams at twice
 * real time (OpenAI's streaming TTS runs ahead of playback; an exactly real-time source would turn
 * every timer hiccup of the emulator into a playback underrun). `slow` also answers every 25th request with a 429.
 */
export const EMULATOR_LATENCY_PROFILES = {
  none: {},
  fast: { sttMs: 250, chatFirstTokenMs: 250, perTokenMs: 10, ttsFirstByteMs: 150, ttsPacing: 2 },
  typical: { sttMs: 400, chatFirstTokenMs: 350, perTokenMs: 20, ttsFirstByteMs: 250, ttsPacing: 2 },
  slow: { sttMs: 900, chatFirstTokenMs: 800, perTokenMs: 30, ttsFirstByteMs: 600, ttsPacing: 2, rateLimitEvery: 25 },
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
