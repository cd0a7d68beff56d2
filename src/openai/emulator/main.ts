import { createLogger } from '../../logging/logger';
import { EMULATOR_LATENCY_PROFILES } from '../openai-setup';
import { startOpenAIEmulator } from './server';

/**
 * The LOCAL OpenAI EMULATOR as a process of its own (used by `npm run bench`, so that the
 * stand-in provider's own work - acoustic matching, eSpeak NG - does not run on the service's event
 * loop, as OpenAI's would not). Prints one JSON line {"emulator_url", "ca_file"} once it listens.
 *   node dist/src/openai/emulator/main.js [none|fast|typical|slow] [name=ms ...]
 */
async function main() {
  const profile = (process.argv[2] ?? 'typical') as keyof typeof EMULATOR_LATENCY_PROFILES;
  if (!(profile in EMULATOR_LATENCY_PROFILES)) throw new Error(`unknown latency profile ${profile}`);
  // Then any figure of the profile changed, e.g. realtimeTranscriptMs=400 (the benchmark's sensitivity runs).
  const overrides: Record<string, number> = {};
  for (const arg of process.argv.slice(3)) {
    const [name = '', value = ''] = arg.split('=');
    if (!/^[a-zA-Z]+Ms$|^ttsPacing$/.test(name) || !Number.isFinite(Number(value))) throw new Error(`bad latency override ${arg} (expected name=number, e.g. realtimeTranscriptMs=400)`);
    overrides[name] = Number(value);
  }
  const emulator = await startOpenAIEmulator({
    logger: createLogger({ level: process.env.LOG_LEVEL === 'info' ? 'info' : 'warn', name: 'openai-emulator' }),
    latency: { ...EMULATOR_LATENCY_PROFILES[profile], ...overrides },
    speech: { prewarm: true },
  });
  // ca_file: the Realtime WebSocket's self-signed certificate, for the clients' NODE_EXTRA_CA_CERTS.
  process.stdout.write(`${JSON.stringify({ emulator_url: emulator.url, ca_file: emulator.caFile, latency_profile: profile })}\n`);
  const stop = () => void emulator.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`openai emulator failed: ${String(err)}\n`);
  process.exit(1);
});
