import type OpenAI from 'openai';
import type { AppConfig } from '../config/env';
import type { Logger } from '../logging/logger';
import { createOpenAIClient } from './client';
import { startOpenAIEmulator, type OpenAIEmulator } from './emulator';

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
        maxRetries: env.OPENAI_MAX_RETRIES,
        logger,
      }),
      emulator: null,
    };
  }
  const emulator = await startOpenAIEmulator({ logger: logger.child({ component: 'openai-emulator' }) });
  logger.warn(
    { emulator_url: emulator.url },
    'OPENAI_API_KEY is not set: using the LOCAL OpenAI EMULATOR (rule-based Russian replies, keyword classification), not OpenAI. Set OPENAI_API_KEY to use the real OpenAI API.',
  );
  return {
    client: createOpenAIClient({
      apiKey: 'emulator-no-key',
      baseURL: emulator.url,
      timeoutMs: env.OPENAI_TIMEOUT_MS,
      maxRetries: env.OPENAI_MAX_RETRIES,
      logger,
    }),
    emulator,
  };
}
