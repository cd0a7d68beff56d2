import { connectClient, temporalTargetFrom } from '../temporal/connection';
import { bootstrap, onShutdown } from '../process/bootstrap';
import { startApiServer } from './server';

/** The API process on its own (Render web service, docker-compose `api`). */
async function main() {
  const { config, logger } = bootstrap('api');
  const client = await connectClient(temporalTargetFrom(config));
  const api = await startApiServer({ config, logger, client });
  onShutdown(logger, async () => {
    await api.close();
    await client.connection.close();
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`${JSON.stringify({ level: 'fatal', msg: 'api failed to start', err: String(err) })}\n`);
  process.exit(1);
});
