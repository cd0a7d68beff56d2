import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import type { Logger } from '../logging/logger';
import { CALL_SEARCH_ATTRIBUTES, CallDispositionAttribute, CallStatusAttribute } from '../../workflows/search-attributes';
import { resolveTemporalCli } from './temporal-cli';

export interface DevServer {
  address: string;
  uiUrl: string | null;
  /** Which binary runs the server, or 'sdk-download'. */
  source: string;
  /** The server's process id, when we started the binary ourselves (benchmarks sample it). */
  pid?: number;
  stop(): Promise<void>;
}

export interface DevServerOptions {
  logger: Logger;
  /** 0 picks a free port. */
  port?: number;
  uiPort?: number;
  /** SQLite file; omitted = in-memory (gone when the server stops). */
  dbFile?: string;
  namespace?: string;
  /** Eager activity dispatch (default on); npm run bench turns it off to measure what it saves. */
  eagerActivities?: boolean;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts `temporal server start-dev` with our search attributes registered; the embedded default
 * when no TEMPORAL_ADDRESS is configured, and what the tests run against.
 */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const { logger } = options;
  const cli = resolveTemporalCli();
  if (cli === null) return startWithSdkDownload(options);

  const port = options.port || (await freePort());
  const uiPort = options.uiPort === undefined ? 0 : options.uiPort;
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'error'];
  args.push('--namespace', options.namespace ?? 'default');
  if (uiPort === 0) args.push('--headless');
  else args.push('--ui-port', String(uiPort));
  if (options.dbFile) {
    mkdirSync(path.dirname(options.dbFile), { recursive: true });
    args.push('--db-filename', options.dbFile);
  }
  for (const [name, type] of Object.entries(CALL_SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${name}=${type}`);
  // Eager activities: a turn's activity comes back with the workflow task's answer instead of one more poll.
  args.push('--dynamic-config-value', `system.enableActivityEagerExecution=${options.eagerActivities !== false}`);

  const child: ChildProcess = spawn(cli, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const address = `127.0.0.1:${port}`;

  const deadline = Date.now() + 30_000;
  for (;;) {
    const early = await Promise.race([exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 200))]);
    if (early !== 'running') throw new Error(`Temporal dev server exited (code ${early}): ${stderr.trim()}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      await connection.workflowService.getSystemInfo({});
      await connection.close();
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`Temporal dev server did not become ready on ${address}: ${String(err)}`);
      }
    }
  }
  logger.info({ address, ui: uiPort ? `http://127.0.0.1:${uiPort}` : null, cli }, 'temporal dev server started');
  return {
    address,
    uiUrl: uiPort ? `http://127.0.0.1:${uiPort}` : null,
    source: cli,
    pid: child.pid,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** For users with internet and neither a CLI nor Go: the SDK downloads the dev server itself. */
async function startWithSdkDownload(options: DevServerOptions): Promise<DevServer> {
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      ip: '127.0.0.1',
      port: options.port || undefined,
      ui: Boolean(options.uiPort),
      uiPort: options.uiPort || undefined,
      dbFilename: options.dbFile,
      namespace: options.namespace,
      searchAttributes: [CallStatusAttribute, CallDispositionAttribute],
    },
  });
  const address = env.address;
  options.logger.info({ address }, 'temporal dev server started (downloaded by the Temporal SDK)');
  return {
    address,
    uiUrl: options.uiPort ? `http://127.0.0.1:${options.uiPort}` : null,
    source: 'sdk-download',
    stop: () => env.teardown(),
  };
}
