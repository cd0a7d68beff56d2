import { setUpOpenAI } from '../openai/openai-setup';
import { bootstrap, onShutdown } from '../process/bootstrap';
import { openAIVoiceOperator } from '../speech-providers';
import { connectClient, connectWorkerConnection, temporalTargetFrom } from '../temporal/connection';
import { createMediaGateway } from './create-gateway';

/** One media gateway process (docker-compose `gateway-*`, a Render web service instance); run as many as needed. */
async function main() {
  const { config, logger } = bootstrap('media-gateway');
  const target = temporalTargetFrom(config);
  const client = await connectClient(target);
  const connection = await connectWorkerConnection(target, logger);
  const openai = await setUpOpenAI(config, logger);
  // A gateway alone listens where its host says (Render's PORT) unless told otherwise.
  const port = config.env.MEDIA_GATEWAY_PORT ?? (process.env.PORT ? Number(process.env.PORT) : undefined);
  const running = await createMediaGateway({ config, logger, client, connection, operator: openAIVoiceOperator(openai, config, logger), port });
  onShutdown(logger, async () => {
    // Drain: no new calls, the calls on the line finish (bounded), then the worker stops.
    await running.drain(config.env.MEDIA_GATEWAY_DRAIN_SEC * 1000);
    await connection.close();
    await openai.emulator?.close();
    await client.connection.close();
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`${JSON.stringify({ level: 'fatal', msg: 'media gateway failed to start', err: String(err) })}\n`);
  process.exit(1);
});
