import pino, { type Logger } from 'pino';

export type { Logger };

/** Field names whose values are secrets wherever they appear in a log record. */
const REDACTED_PATHS = [
  'apiKey',
  'authorization',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers["x-webhook-secret"]',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers["x-webhook-secret"]',
  'private_key',
  'password',
  'secret',
];

export interface LoggerOptions {
  level?: string;
  /** Secret values scrubbed from every line, whatever field or message they end up in. */
  secrets?: readonly string[];
  /** Destination for tests; defaults to stdout. */
  destination?: pino.DestinationStream;
  name?: string;
}

/** JSON lines (one object per line) with `level` as a word, `time` ISO, and secrets removed. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const secrets = (options.secrets ?? []).filter((secret) => secret.length >= 6);
  const scrub = (line: string): string => {
    let out = line;
    for (const secret of secrets) {
      if (out.includes(secret)) out = out.split(secret).join('[REDACTED]');
      // A private key is multi-line: in JSON its newlines are escaped.
      const escaped = JSON.stringify(secret).slice(1, -1);
      if (escaped !== secret && out.includes(escaped)) out = out.split(escaped).join('[REDACTED]');
    }
    return out;
  };
  return pino(
    {
      name: options.name,
      level: options.level ?? 'info',
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
      hooks: { streamWrite: scrub },
    },
    options.destination ?? pino.destination({ sync: true }),
  );
}
