import type { Client } from '@temporalio/client';
import { Worker, type NativeConnection } from '@temporalio/worker';
import type OpenAI from 'openai';
import { createActivities } from '../../activities';
import { calleeUtteranceSignal } from '../../workflows/definitions';
import type { AppConfig } from '../config/env';
import type { Logger } from '../logging/logger';
import { loadSystemPrompt } from '../openai/system-prompt';
import { CsvResultsSink } from '../results/csv-sink';
import type { ResultsSink } from '../results/results-sink';
import { createTelephonyAdapter, type TelephonyAdapter } from '../telephony';
import { routeTemporalLogsTo } from '../temporal/runtime-logging';
import { projectRoot } from '../util/project-root';
import { createAudioStore } from '../audio-store';
import path from 'node:path';

export interface CallWorkerDeps {
  config: AppConfig;
  logger: Logger;
  connection: NativeConnection;
  client: Client;
  openai: OpenAI;
  results: ResultsSink;
  /** Built from config when omitted. */
  telephony?: TelephonyAdapter;
}

export interface CallWorker {
  worker: Worker;
  telephony: TelephonyAdapter;
  run(): Promise<void>;
  shutdown(): Promise<void>;
}

/** The worker process: runs CallWorkflow / CallSlotsWorkflow and the activities with their clients. */
export async function createCallWorker(deps: CallWorkerDeps): Promise<CallWorker> {
  const { config, logger, client } = deps;
  routeTemporalLogsTo(logger);
  const telephony =
    deps.telephony ??
    createTelephonyAdapter({
      config,
      logger,
      onCalleePhrase: async (callId, text) => {
        await client.workflow.getHandle(callId).signal(calleeUtteranceSignal, { text, endedAt: new Date().toISOString() });
      },
    });
  const root = projectRoot();
  const activities = createActivities({
    telephony,
    temporal: { client, taskQueue: config.env.TEMPORAL_TASK_QUEUE },
    openai: deps.openai,
    settings: {
      chatModel: config.env.OPENAI_CHAT_MODEL,
      classifierModel: config.env.OPENAI_CLASSIFIER_MODEL,
      temperature: config.env.OPENAI_TEMPERATURE,
      maxOutputTokens: config.env.OPENAI_MAX_OUTPUT_TOKENS,
      maxHistoryTurns: config.env.DIALOG_HISTORY_TURNS,
      systemPrompt: loadSystemPrompt(path.resolve(root, config.env.SYSTEM_PROMPT_FILE)),
      replySpeech: config.env.REPLY_SPEECH,
    },
    results: deps.results,
    audioStore: createAudioStore(config),
    voice: {
      sttModel: config.env.OPENAI_STT_MODEL,
      sttTimeoutMs: config.env.OPENAI_TIMEOUT_MS,
      gatewayInternalUrl: config.mediaGatewayInternalUrl,
      gatewaySecret: config.mediaTokenSecret,
    },
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
      await telephony.close();
    },
  };
}
