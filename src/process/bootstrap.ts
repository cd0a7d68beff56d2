import { ConfigError, loadConfig, type AppConfig } from '../config/env';
import { createLogger, type Logger } from '../logging/logger';

/**
 * Common start of every process: load the configuration (one message naming every bad variable,
 * exit code 78) and a logger that scrubs the configured secrets.
 */
export function bootstrap(name: string): { config: AppConfig; logger: Logger } {
  try {
    process.loadEnvFile?.('.env');
  } catch {
    // no .env file: the environment alone configures the process
  }
  let config: AppConfig;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${JSON.stringify({ level: 'fatal', name, msg: 'invalid configuration', problems: err.problems })}\n`);
      process.exit(78);
    }
    throw err;
  }
  const logger = createLogger({ level: config.env.LOG_LEVEL, secrets: config.secrets, name });
  if (config.usingDevSecrets) {
    logger.warn('API_AUTH_KEY / TELEPHONY_WEBHOOK_SECRET not set: using development defaults (never in production)');
  }
  return { config, logger };
}

export function onShutdown(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      stop().then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err: String(err) }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }
}
