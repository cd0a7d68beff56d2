import { createLogger } from '../../logging/logger';
import { parseSimulatedConfig } from './callee-behaviours';
import { startSimulatedProvider } from './provider-server';

/**
 * The SIMULATED telephony provider as a process of its own (npm run bench starts it): virtual
 * callees from TELEPHONY_CONFIG's persona rules, webhooks signed with TELEPHONY_WEBHOOK_SECRET,
 * its API guarded by TELEPHONY_API_KEY when set. Prints one JSON line {"provider_url": ...}.
 *   node dist/src/telephony/simulated/provider-main.js
 */
async function main() {
  const webhookSecret = process.env.TELEPHONY_WEBHOOK_SECRET;
  if (!webhookSecret) throw new Error('TELEPHONY_WEBHOOK_SECRET is required');
  const { providerUrl: _ignored, ...config } = parseSimulatedConfig(process.env.TELEPHONY_CONFIG);
  const provider = await startSimulatedProvider({
    config,
    webhookSecret,
    apiKey: process.env.TELEPHONY_API_KEY || undefined,
    logger: createLogger({
      level: process.env.LOG_LEVEL === 'info' ? 'info' : 'warn',
      name: 'simulated-provider',
      secrets: [webhookSecret, process.env.TELEPHONY_API_KEY ?? ''],
    }),
    port: Number(process.env.SIMULATED_PROVIDER_PORT ?? 0),
  });
  process.stdout.write(`${JSON.stringify({ provider_url: provider.url })}\n`);
  const stop = () => void provider.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`simulated provider failed: ${String(err)}\n`);
  process.exit(1);
});
