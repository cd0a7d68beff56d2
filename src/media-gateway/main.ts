import { setUpOpenAI } from '../openai/openai-setup';
import { bootstrap, onShutdown } from '../process/bootstrap';
import { connectClient, temporalTargetFrom } from '../temporal/connection';
import { createMediaGateway } from './create-gateway';

/** The media gateway process on its own (docker-compose `gateway`, Render web service). */
async function main() {
  const { config, logger } = bootstrap('media-gateway');
  const client = await connectClient(temporalTargetFrom(config));
  const openai = await setUpOpenAI(config, logger);
  const running = await createMediaGateway({ config, logger, client, openai: openai.client });
  onShutdown(logger, async () => {
    await running.close();
    await openai.emulator?.close();
    await client.connection.close();
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`${JSON.stringify({ level: 'fatal', msg: 'media gateway failed to start', err: String(err) })}\n`);
  process.exit(1);
});
