import type { Client } from '@temporalio/client';
import { Worker, type NativeConnection } from '@temporalio/worker';
import type OpenAI from 'openai';
import { createGeneralActivities } from '../../activities';
import { calleeUtteranceSignal } from '../../workflows/definitions';
import type { AppConfig } from '../config/env';
import type { Logger } from '../logging/logger';
import { CsvResultsSink } from '../results/csv-sink';
import type { ResultsSink } from '../results/results-sink';
import { createTelephonyAdapter, type TelephonyAdapter } from '../telephony';
import { routeTemporalLogsTo } from '../temporal/runtime-logging';
import { projectRoot } from '../util/project-root';
import { createOpenAISpeechProviders } from '../speech-providers';
import path from 'node:path';

export interface CallWorkerDeps {
  config: AppConfig;
  logger: Logger;
  connection: NativeConnection;
  client: Client;
  openai: OpenAI;
  results: ResultsSink;
  /** Built from config when omitted. */
  telephony?: TelephonyAdapter | null;
}

export interface CallWorker {
  worker: Worker;
  telephony: TelephonyAdapter | null;
  run(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * The general worker: runs CallWorkflow / CallSlotsWorkflow and every activity without the call's
 * audio (the provider's API, the text-mode reply, classification, the results row). Voice turns
 * run on the media gateways, each on its own task queue.
 */
export async function createCallWorker(deps: CallWorkerDeps): Promise<CallWorker> {
  const { config, logger, client } = deps;
  routeTemporalLogsTo(logger);
  const telephony =
    deps.telephony !== undefined ? deps.telephony : createTelephonyAdapter({
      config,
      logger,
      onCalleePhrase: async (callId, text) => {
        await client.workflow.getHandle(callId).signal(calleeUtteranceSignal, { text, endedAt: new Date().toISOString() });
      },
    });
  const root = projectRoot();
  const providers = createOpenAISpeechProviders(deps.openai, config);
  const activities = createGeneralActivities({
    telephony,
    temporal: { client, taskQueue: config.env.TEMPORAL_TASK_QUEUE },
    replyModel: providers.replyModel,
    classifier: providers.classifier,
    results: deps.results,
    fallbackResults:
      deps.results.kind === 'csv' ? deps.results : new CsvResultsSink({ path: path.resolve(root, '.data/results-fallback.csv'), logger }),
    logger,
  });
  const workflowsPath = require.resolve('../../workflows');
  const worker = await Worker.create({
    connection: deps.connection,
    namespace: config.env.TEMPORAL_NAMESPACE,
    taskQueue: config.env.TEMPORAL_TASK_QUEUE,
    workflowsPath,
    activities,
    // A live call must not stall ~10 s on a dead worker's sticky queue after a restart.
    stickyQueueScheduleToStartTimeout: '2 seconds',
  });
  return {
    worker,
    telephony,
    run: () => worker.run(),
    shutdown: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await telephony?.close();
    },
  };
}
