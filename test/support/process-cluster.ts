import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startReadyChild, type ReadyChild } from '../../src/bench/child-process';
import { startRoundRobin } from '../../src/bench/round-robin';
import { createLogger } from '../../src/logging/logger';
import { startOpenAIEmulator, type OpenAIEmulator } from '../../src/openai/emulator';
import { readCsvRows } from '../../src/results/csv-sink';
import { freePort, startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { projectRoot } from '../../src/util/project-root';

const dist = path.join(projectRoot(), 'dist/src');

export interface ClusterProcess extends ReadyChild {
  name: string;
  port?: number;
}

export interface Cluster {
  client: Client;
  dev: DevServer;
  emulator: OpenAIEmulator;
  apiUrl: string;
  apiKey: string;
  /** Signs media tokens (to open a media connection as a provider would). */
  mediaTokenSecret: string;
  taskQueue: string;
  csvPath: string;
  api: ClusterProcess;
  worker: ClusterProcess;
  gateways: ClusterProcess[];
  /** Starts (another) general worker process. */
  startWorker(): Promise<ClusterProcess>;
  placeCall(phone: string): Promise<string>;
  rows(): Promise<Record<string, string>[]>;
  stop(): Promise<void>;
}

/**
 * The service as deployed, each part in its own process started from its production entry point
 * (`dist/`): the API, the general worker and N media gateways behind one round-robin address, with a
 * real Temporal dev server, the local OpenAI EMULATOR and the SIMULATED provider (voice), or the
 * simulated text callee inside the worker (`media: 'text'`). Nothing is shared on disk between the
 * gateways: each runs in a working directory of its own.
 */
export async function startCluster(options: { gateways: number; media: 'voice' | 'text'; env?: Record<string, string>; workerEnv?: Record<string, string> }): Promise<Cluster> {
  const work = mkdtempSync(path.join(tmpdir(), 'voice-caller-cluster-'));
  const logger = createLogger({ level: 'silent' });
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  try {
    const dev = await startDevServer({ logger });
    stops.push(() => dev.stop());
    const client = new Client({ connection: await Connection.connect({ address: dev.address }) });
    stops.push(() => client.connection.close());
    const emulator = await startOpenAIEmulator({ logger, speech: { prewarm: true } });
    stops.push(() => emulator.close());
    const secret = () => randomBytes(16).toString('hex');
    const secrets = { api: secret(), webhook: secret(), media: secret(), provider: secret() };
    const taskQueue = `cluster-${randomUUID()}`;
    const csvPath = path.join(work, 'results.csv');
    const apiPort = await freePort();
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const callees = { ringAfterMs: 50, answerAfterMs: 200, thinkMs: 200 };

    let providerUrl: string | null = null;
    if (options.media === 'voice') {
      const provider = await startReadyChild({
        script: path.join(dist, 'telephony/simulated/provider-main.js'),
        env: { ...process.env, TELEPHONY_WEBHOOK_SECRET: secrets.webhook, TELEPHONY_API_KEY: secrets.provider, TELEPHONY_CONFIG: JSON.stringify(callees) },
        readyKey: 'provider_url',
        logFile: path.join(work, 'logs/provider.log'),
      });
      stops.push(provider.stop);
      providerUrl = String(provider.ready.provider_url);
    }
    const gatewayPorts: number[] = [];
    const gatewayAlive = new Map<number, boolean>();
    const balancer = await startRoundRobin(() => gatewayPorts.filter((port) => gatewayAlive.get(port)));
    stops.push(() => balancer.close());

    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      TEMPORAL_ADDRESS: dev.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      OPENAI_API_KEY: 'local-emulator-no-key',
      OPENAI_BASE_URL: emulator.url,
      // The emulator's Realtime WebSocket has a self-signed certificate: trusted the standard Node way.
      NODE_EXTRA_CA_CERTS: emulator.caFile,
      OPENAI_TIMEOUT_MS: '3000',
      API_AUTH_KEY: secrets.api,
      TELEPHONY_WEBHOOK_SECRET: secrets.webhook,
      MEDIA_TOKEN_SECRET: secrets.media,
      API_PORT: String(apiPort),
      API_HOST: '127.0.0.1',
      PUBLIC_BASE_URL: apiUrl,
      MEDIA_GATEWAY_PUBLIC_URL: `ws://127.0.0.1:${balancer.port}`,
      RESULTS_CSV_PATH: csvPath,
      MAX_CONCURRENT_CALLS: '20',
      ...(options.media === 'voice'
        ? { TELEPHONY_PROVIDER: 'simulated', TELEPHONY_CONFIG: JSON.stringify({ providerUrl }), TELEPHONY_API_KEY: secrets.provider }
        : { TELEPHONY_PROVIDER: 'simulated-text', TELEPHONY_CONFIG: JSON.stringify(callees) }),
      ...options.env,
    };
    const answers = (url: string) => async () => (await fetch(url, { signal: AbortSignal.timeout(1000) })).ok;
    const polls = (queue: string) => async (pid: number) => {
      const { pollers } = await client.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: queue }, taskQueueType: 1 });
      return (pollers ?? []).some((poller) => poller.identity?.startsWith(`${pid}@`));
    };
    const start = async (name: string, script: string, probe: (pid: number) => Promise<boolean>, extra: NodeJS.ProcessEnv = {}, cwd?: string): Promise<ClusterProcess> => {
      const child = await startReadyChild({ script: path.join(dist, script), env: { ...env, ...extra }, probe, logFile: path.join(work, `logs/${name}.log`), timeoutMs: 90_000, ...(cwd ? { cwd } : {}) });
      stops.push(child.stop);
      return { ...child, name };
    };

    const gateways: ClusterProcess[] = [];
    for (let i = 1; i <= options.gateways; i++) {
      const port = await freePort();
      // Its own working directory: nothing on disk is shared with the other gateways or the worker.
      const cwd = mkdtempSync(path.join(work, `gateway-${i}-`));
      const gateway = await start(`gateway-${i}`, 'media-gateway/main.js', answers(`http://127.0.0.1:${port}/healthz`), { MEDIA_GATEWAY_PORT: String(port), MEDIA_GATEWAY_ID: `gw-${i}` }, cwd);
      gatewayPorts.push(port);
      gatewayAlive.set(port, true);
      gateway.child.once('exit', () => gatewayAlive.set(port, false));
      gateways.push({ ...gateway, port });
    }
    const api = await start('api', 'api/main.js', answers(`${apiUrl}/healthz`));
    let workers = 0;
    const startWorker = () => start(`worker-${++workers}`, 'worker/main.js', polls(taskQueue), options.workerEnv ?? {});
    const worker = await startWorker();

    return {
      client,
      dev,
      emulator,
      apiUrl,
      apiKey: secrets.api,
      mediaTokenSecret: secrets.media,
      taskQueue,
      csvPath,
      api,
      worker,
      gateways,
      startWorker,
      async placeCall(phone) {
        const response = await fetch(`${apiUrl}/call`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': secrets.api }, body: JSON.stringify({ phone }) });
        const body = (await response.json()) as { call_id?: string };
        if (response.status !== 201 || !body.call_id) throw new Error(`POST /call -> ${response.status} ${JSON.stringify(body)}`);
        return body.call_id;
      },
      async rows() {
        try {
          return await readCsvRows(csvPath);
        } catch {
          return [];
        }
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
