import { createLogger } from '../../logging/logger';
import { EMULATOR_LATENCY_PROFILES } from '../openai-setup';
import { startOpenAIEmulator } from './server';

/**
 * The LOCAL OpenAI EMULATOR as a process of its own (used by `npm run bench`, so that the
 * stand-in provider's own work - acoustic matching, eSpeak NG - does not run on the service's event
 * loop, as OpenAI's would not). Prints one JSON line {"emulator_url": ...} once it listens.
 *   node dist/src/openai/emulator/main.js [none|fast|typical|slow]
 */
async function main() {
  const profile = (process.argv[2] ?? 'typical') as keyof typeof EMULATOR_LATENCY_PROFILES;
  if (!(profile in EMULATOR_LATENCY_PROFILES)) throw new Error(`unknown latency profile ${profile}`);
  const emulator = await startOpenAIEmulator({
    logger: createLogger({ level: process.env.LOG_LEVEL === 'info' ? 'info' : 'warn', name: 'openai-emulator' }),
    latency: EMULATOR_LATENCY_PROFILES[profile],
    speech: { prewarm: true },
  });
  process.stdout.write(`${JSON.stringify({ emulator_url: emulator.url, latency_profile: profile })}\n`);
  const stop = () => void emulator.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`openai emulator failed: ${String(err)}\n`);
  process.exit(1);
});
