import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { CallSession } from '../../src/domain/call-session';
import { loadConfig } from '../../src/config/env';
import { createLogger } from '../../src/logging/logger';
import { readCsvRows } from '../../src/results/csv-sink';
import { startStack, type Stack } from '../../src/stack';
import type { SimulatedTelephony } from '../../src/telephony/simulated/simulated-telephony';

export const TEST_API_KEY = 'test-api-key-0123456789';
export const TEST_WEBHOOK_SECRET = 'test-webhook-secret-0123456789';

export interface TestLimits {
  maxConversationSec?: number;
  maxTurns?: number;
  ringTimeoutSec?: number;
  maxConcurrentCalls?: number;
}

export interface TestStack {
  stack: Stack;
  csvPath: string;
  /** Every log line the stack wrote, parsed. */
  logs: Record<string, unknown>[];
  rawLogs: string[];
  request(method: string, urlPath: string, options?: { body?: unknown; rawBody?: string; headers?: Record<string, string> }): Promise<{ status: number; body: any; headers: Headers }>;
  placeCall(phone: string, headers?: Record<string, string>): Promise<string>;
  waitForEnd(callId: string): Promise<CallSession>;
  rows(): Promise<Record<string, string>[]>;
  simulator(): SimulatedTelephony;
  stop(): Promise<void>;
}

/**
 * The whole service as `npm start` runs it (real Temporal dev server, worker, API, OpenAI emulator,
 * simulated telephony over HTTP, CSV results) with short limits and fast simulated callees.
 */
export async function startTestStack(options: { env?: Record<string, string>; limits?: TestLimits } = {}): Promise<TestStack> {
  const dir = mkdtempSync(path.join(tmpdir(), 'voice-caller-test-'));
  const csvPath = path.join(dir, 'results.csv');
  const rawLogs: string[] = [];
  const logs: Record<string, unknown>[] = [];
  const env = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    API_AUTH_KEY: TEST_API_KEY,
    TELEPHONY_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
    RESULTS_CSV_PATH: csvPath,
    AUDIO_STORE_DIR: path.join(dir, 'audio'),
    TEMPORAL_TASK_QUEUE: `test-${randomUUID()}`,
    // Workflow/API tests use the text callee (fast); test/voice runs the audio path.
    TELEPHONY_PROVIDER: 'simulated-text',
    TELEPHONY_CONFIG: JSON.stringify({ ringAfterMs: 50, answerAfterMs: 150, thinkMs: 100 }),
    OPENAI_TIMEOUT_MS: '2000',
    OPENAI_MAX_RETRIES: '1',
    ...options.env,
  };
  const config = loadConfig(env);
  // Workflow limits are plain arguments: tests use seconds, not minutes (below the env minimums).
  const limits = options.limits ?? {};
  config.env.CALL_MAX_DURATION_SEC = limits.maxConversationSec ?? 30;
  config.env.CALL_MAX_TURNS = limits.maxTurns ?? 12;
  config.env.CALL_RING_TIMEOUT_SEC = limits.ringTimeoutSec ?? 5;
  config.env.MAX_CONCURRENT_CALLS = limits.maxConcurrentCalls ?? 3;
  const logger = createLogger({
    level: 'info',
    secrets: config.secrets,
    destination: {
      write(line: string) {
        rawLogs.push(line);
        try {
          logs.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          logs.push({ unparsable: line });
        }
      },
    },
  });
  const stack = await startStack({ config, logger, apiPort: 0, apiHost: '127.0.0.1', gatewayPort: 0 });

  const request: TestStack['request'] = async (method, urlPath, opts = {}) => {
    const headers: Record<string, string> = { ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers };
    const response = await fetch(`${stack.api.url}${urlPath}`, {
      method,
      headers,
      body: opts.rawBody ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)),
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: keep the text so the assertion shows it
    }
    return { status: response.status, body, headers: response.headers };
  };

  return {
    stack,
    csvPath,
    logs,
    rawLogs,
    request,
    async placeCall(phone, headers = {}) {
      const response = await request('POST', '/call', { body: { phone }, headers: { 'x-api-key': TEST_API_KEY, ...headers } });
      if (response.status !== 201) throw new Error(`POST /call -> ${response.status} ${JSON.stringify(response.body)}`);
      return (response.body as { call_id: string }).call_id;
    },
    async waitForEnd(callId) {
      return (await stack.client.workflow.getHandle(callId).result()) as CallSession;
    },
    async rows() {
      try {
        return await readCsvRows(csvPath);
      } catch {
        return [];
      }
    },
    simulator: () => stack.worker.telephony as SimulatedTelephony,
    stop: () => stack.stop(),
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` returns a value (not undefined/false) or the time is up. */
export async function eventually<T>(check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(100);
  }
}
