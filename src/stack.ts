import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { mediaModeOf, type AppConfig } from './config/env';
import { createMediaGateway, type RunningGateway } from './media-gateway/create-gateway';
import type { Logger } from './logging/logger';
import { startApiServer, type RunningApi } from './api/server';
import { setUpOpenAI, type ConfiguredOpenAI } from './openai/openai-setup';
import { openAIVoiceOperator } from './speech-providers';
import { createResultsSink } from './results';
import type { ResultsSink } from './results/results-sink';
import { connectClient, connectWorkerConnection, temporalTargetFrom } from './temporal/connection';
import { startDevServer, type DevServer } from './temporal/dev-server';
import { projectRoot } from './util/project-root';
import { createCallWorker, type CallWorker } from './worker/create-worker';

export interface StackOptions {
  config: AppConfig;
  logger: Logger;
  /** Embedded dev server settings, used when TEMPORAL_ADDRESS is not configured. */
  devServer?: { port?: number; uiPort?: number; dbFile?: string };
  apiPort?: number;
  apiHost?: string;
  /** 0 = any free port (tests). */
  gatewayPort?: number;
  /** Overrides the sink chosen from configuration (tests). */
  results?: ResultsSink;
}

export interface Stack {
  config: AppConfig;
  client: Client;
  api: RunningApi;
  worker: CallWorker;
  devServer: DevServer | null;
  openai: ConfiguredOpenAI;
  /** The media gateway (in voice mode): also a Temporal worker on its own task queue. */
  gateway: RunningGateway | null;
  results: ResultsSink;
  temporalAddress: string;
  /** Starts a second worker (e.g. after the first was stopped) on the same clients. */
  startWorker(): Promise<CallWorker>;
  stop(): Promise<void>;
}

/**
 * Everything in one process: the embedded Temporal dev server (unless TEMPORAL_ADDRESS is set),
 * the OpenAI client or its local emulator, the worker and the API. `npm start` and the tests run this.
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const { logger } = options;
  let devServer: DevServer | null = null;
  if (!options.config.env.TEMPORAL_ADDRESS) {
    devServer = await startDevServer({
      logger,
      port: options.devServer?.port,
      uiPort: options.devServer?.uiPort,
      dbFile: options.devServer?.dbFile,
      namespace: options.config.env.TEMPORAL_NAMESPACE,
    });
  }
  const target = temporalTargetFrom(options.config, devServer?.address);
  const client = await connectClient(target);
  let config: AppConfig = options.config;
  const openai = await setUpOpenAI(config, logger);
  const connections: NativeConnection[] = [];
  // The gateway first: the API hands its URL to providers (Voximplant's scenario asks for it).
  let gateway: RunningGateway | null = null;
  if (mediaModeOf(config) === 'voice') {
    const connection = await connectWorkerConnection(target, logger);
    connections.push(connection);
    gateway = await createMediaGateway({ config, logger, client, connection, operator: openAIVoiceOperator(openai, config, logger), port: options.gatewayPort, host: options.apiHost });
    config = { ...config, mediaGatewayPublicUrl: config.env.MEDIA_GATEWAY_PUBLIC_URL ?? gateway.gateway.url };
  }
  const api = await startApiServer({ config, logger, client, port: options.apiPort, host: options.apiHost });
  // Providers (and the simulator) call back on the API we just started unless told otherwise.
  config = { ...config, publicBaseUrl: config.env.PUBLIC_BASE_URL ?? api.url };
  const results = options.results ?? createResultsSink(config, logger);
  const startWorker = async () => {
    const connection = await connectWorkerConnection(target, logger);
    connections.push(connection);
    const worker = await createCallWorker({ config, logger, connection, client, openai: openai.client, results });
    const running = worker.run();
    running.catch((err: unknown) => logger.error({ err: String(err) }, 'worker stopped with an error'));
    return { ...worker, run: () => running };
  };
  const worker = await startWorker();

  return {
    config,
    client,
    api,
    worker,
    devServer,
    openai,
    gateway,
    results,
    temporalAddress: target.address,
    startWorker,
    stop: async () => {
      await api.close();
      await worker.shutdown();
      await worker.run().catch(() => undefined);
      await gateway?.close();
      for (const connection of connections) await connection.close().catch(() => undefined);
      await client.connection.close();
      await openai.emulator?.close();
      await devServer?.stop();
    },
  };
}

export const DEFAULT_DEV_DB_FILE = () => path.join(projectRoot(), '.data/temporal-dev.db');
