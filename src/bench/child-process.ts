import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';

export interface ReadyChild {
  child: ChildProcess;
  pid: number;
  /** The JSON object the process printed when ready. */
  ready: Record<string, unknown>;
  stop(): Promise<void>;
}

/**
 * Starts a Node script as its own process and waits until it is ready: it printed a JSON line
 * carrying `readyKey`, or `probe` answered true (polled). Everything it prints goes to `logFile`.
 */
export async function startReadyChild(options: {
  script: string;
  args?: string[];
  env: NodeJS.ProcessEnv;
  readyKey?: string;
  /** Polled with the child's pid until it answers true. */
  probe?: (pid: number) => Promise<boolean>;
  logFile: string;
  timeoutMs?: number;
  /** Working directory of the child (default: ours). */
  cwd?: string;
}): Promise<ReadyChild> {
  mkdirSync(path.dirname(options.logFile), { recursive: true });
  const log = createWriteStream(options.logFile, { flags: 'w' });
  const child = spawn(process.execPath, [options.script, ...(options.args ?? [])], { env: options.env, stdio: ['ignore', 'pipe', 'pipe'], ...(options.cwd ? { cwd: options.cwd } : {}) });
  child.stderr!.pipe(log, { end: false });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${path.basename(options.script)} was not ready within ${options.timeoutMs ?? 60_000} ms (log: ${options.logFile})`)), options.timeoutMs ?? 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${path.basename(options.script)} exited with ${code} before it was ready (log: ${options.logFile})`));
    });
    let found = false;
    if (options.probe) {
      const poll = () =>
        void options.probe!(child.pid!).then(
          (ok) => {
            if (found || child.exitCode !== null) return;
            if (!ok) return void setTimeout(poll, 200);
            found = true;
            clearTimeout(timer);
            resolve({});
          },
          () => !found && setTimeout(poll, 200),
        );
      poll();
    }
    createInterface({ input: child.stdout! }).on('line', (line) => {
      log.write(line + '\n');
      if (found || !options.readyKey) return;
      try {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        if (options.readyKey in parsed) {
          found = true;
          clearTimeout(timer);
          resolve(parsed);
        }
      } catch {
        // a log line that is not JSON
      }
    });
  });
  return {
    child,
    pid: child.pid!,
    ready,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      log.end();
    },
  };
}
