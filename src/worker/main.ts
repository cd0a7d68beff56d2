import { connectClient, connectWorkerConnection, temporalTargetFrom } from '../temporal/connection';
import { setUpOpenAI } from '../openai/openai-setup';
import { bootstrap, onShutdown } from '../process/bootstrap';
import { createResultsSink } from '../results';
import { createCallWorker } from './create-worker';

/** The worker process on its own (Render background worker, docker-compose `worker`). */
async function main() {
  const { config, logger } = bootstrap('worker');
  const target = temporalTargetFrom(config);
  const client = await connectClient(target);
  const connection = await connectWorkerConnection(target, logger);
  const openai = await setUpOpenAI(config, logger);
  const callWorker = await createCallWorker({
    config,
    logger,
    connection,
    client,
    openai: openai.client,
    results: createResultsSink(config, logger),
  });
  onShutdown(logger, async () => {
    await callWorker.shutdown();
    await openai.emulator?.close();
  });
  logger.info({ task_queue: config.env.TEMPORAL_TASK_QUEUE, address: target.address }, 'worker started');
  await callWorker.run();
  await connection.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`${JSON.stringify({ level: 'fatal', msg: 'worker failed', err: String(err) })}\n`);
  process.exit(1);
});
