import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { AppConfig } from '../config/env';
import type { Logger } from '../logging/logger';
import { routeTemporalLogsTo } from './runtime-logging';

export interface TemporalTarget {
  address: string;
  namespace: string;
  taskQueue: string;
  apiKey?: string;
  tls: boolean;
}

export function temporalTargetFrom(config: AppConfig, address?: string): TemporalTarget {
  return {
    address: address ?? config.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
    namespace: config.env.TEMPORAL_NAMESPACE,
    taskQueue: config.env.TEMPORAL_TASK_QUEUE,
    apiKey: config.env.TEMPORAL_API_KEY,
    tls: config.env.TEMPORAL_TLS || Boolean(config.env.TEMPORAL_API_KEY),
  };
}

export async function connectClient(target: TemporalTarget): Promise<Client> {
  const connection = await Connection.connect({ address: target.address, tls: target.tls, apiKey: target.apiKey });
  return new Client({ connection, namespace: target.namespace });
}

/** The worker's native connection; the Temporal runtime (and where its logs go) is set up first. */
export async function connectWorkerConnection(target: TemporalTarget, logger: Logger): Promise<NativeConnection> {
  routeTemporalLogsTo(logger);
  return NativeConnection.connect({ address: target.address, tls: target.tls, apiKey: target.apiKey });
}
