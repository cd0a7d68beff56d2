import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from '../logging/logger';

// The Temporal runtime is process-wide and installed once; it forwards workflow `log` calls
// (dialog start/end, call finished) and SDK messages to whichever logger is current.
const holder = globalThis as typeof globalThis & { __callLogTarget?: Logger; __callRuntimeInstalled?: boolean };

export function routeTemporalLogsTo(logger: Logger): void {
  holder.__callLogTarget = logger;
  if (holder.__callRuntimeInstalled) return;
  holder.__callRuntimeInstalled = true;
  Runtime.install({
    // Our processes stop their workers themselves on SIGTERM (a gateway drains its calls first).
    shutdownSignals: [],
    logger: new DefaultLogger('INFO', (entry) => {
      const target = holder.__callLogTarget;
      if (!target) return;
      const meta = { ...(entry.meta ?? {}), source: 'temporal' };
      let level = entry.level.toLowerCase() as Lowercase<LogLevel>;
      // The workflow bundler's module listing is noise at INFO.
      if (entry.message.startsWith('asset workflow-bundle')) level = 'debug';
      if (level === 'error') target.error(meta, entry.message);
      else if (level === 'warn') target.warn(meta, entry.message);
      else if (level === 'info') target.info(meta, entry.message);
      else target.debug(meta, entry.message);
    }),
  });
}
