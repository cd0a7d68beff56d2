import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { SimulatedTelephonyConfigSchema } from '../telephony/simulated/callee-behaviours';
import { VoximplantServiceAccountSchema, type VoximplantServiceAccount } from '../telephony/voximplant/service-account';
import { VoximplantSettingsSchema, type VoximplantSettings } from '../telephony/voximplant/voximplant-settings';
import { SipTrunkConfigSchema, type SipTrunkConfig } from '../telephony/sip/presets';
import { REASONING_EFFORTS } from '../openai/sampling';

/**
 * One schema for the whole environment (spec section 9 plus what running on Temporal needs).
 * Every process (API, worker, `npm start`) loads it through `loadConfig`; a bad variable stops
 * startup with one message that names every offender.
 */

const DEV_API_AUTH_KEY = 'dev-api-key';
const DEV_WEBHOOK_SECRET = 'dev-webhook-secret';
const DEV_MEDIA_TOKEN_SECRET = 'dev-media-token-secret';

const intFromEnv = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const isJson = (value: string | undefined) => {
  if (value === undefined) return true;
  try {
    JSON.parse(value);
    return true;
  } catch {
    return false;
  }
};
const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

export const EnvSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),

    API_HOST: z.string().default('0.0.0.0'),
    API_PORT: intFromEnv(0, 65535).default(3000),
    /** Where providers (and the simulated callee) reach our webhooks. */
    PUBLIC_BASE_URL: optionalText.pipe(z.url().optional()),
    API_AUTH_KEY: optionalText.pipe(z.string().min(8, 'must be at least 8 characters').optional()),
    TELEPHONY_WEBHOOK_SECRET: optionalText.pipe(z.string().min(8, 'must be at least 8 characters').optional()),
    /** Body size limit for JSON requests. */
    API_MAX_BODY_BYTES: intFromEnv(256, 10_000_000).default(16_384),

    /** Unset: `npm start` runs an embedded Temporal dev server; API/worker alone use localhost:7233. */
    TEMPORAL_ADDRESS: optionalText,
    TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
    TEMPORAL_TASK_QUEUE: z.string().min(1).default('voice-calls'),
    TEMPORAL_API_KEY: optionalText,
    TEMPORAL_TLS: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
    TEMPORAL_UI_PORT: intFromEnv(1, 65535).default(8233),

    OPENAI_API_KEY: optionalText,
    OPENAI_BASE_URL: optionalText.pipe(z.url().optional()),
    OPENAI_CHAT_MODEL: z.string().min(1).default('gpt-6-luna'),
    OPENAI_CLASSIFIER_MODEL: z.string().min(1).default('gpt-6-luna'),
    OPENAI_STT_MODEL: z.string().min(1).default('gpt-transcribe'),
    /**
     * realtime: the operator's lines are read by a Realtime API model over one WebSocket session per
     * call (the current generation); speech: `/v1/audio/speech` (OpenAI's tts-1 / gpt-4o-mini-tts
     * until they shut down on 2027-01-06, and OpenAI-compatible servers).
     */
    OPENAI_TTS_API: z.enum(['realtime', 'speech']).default('realtime'),
    /** Unset: gpt-realtime-2.1-mini with OPENAI_TTS_API=realtime, gpt-4o-mini-tts with speech. */
    OPENAI_TTS_MODEL: optionalText,
    OPENAI_TTS_VOICE: z.string().min(1).default('marin'),
    /**
     * transcriptions: each finished phrase goes to `/v1/audio/transcriptions`; realtime: the callee's
     * audio streams into a Realtime transcription session while they talk, and our endpointer
     * commits the phrase (falls back to transcriptions for a phrase when the session fails).
     */
    OPENAI_STT_API: z.enum(['transcriptions', 'realtime']).default('transcriptions'),
    /** The model of the realtime transcription session (OPENAI_STT_API=realtime). */
    OPENAI_STT_REALTIME_MODEL: z.string().min(1).default('gpt-live-transcribe'),
    /**
     * cascade (the spec's design): STT -> reply model -> speech; realtime: one Realtime API
     * speech-to-speech model is the operator (it hears the callee and answers in audio).
     */
    DIALOG_MODE: z.enum(['cascade', 'realtime']).default('cascade'),
    /** The operator model of DIALOG_MODE=realtime. */
    OPENAI_REALTIME_MODEL: z.string().min(1).default('gpt-realtime-2.1-mini'),
    /** Current chat models reason unless told not to: none (default) answers at once; omit sends no such field (older models). */
    OPENAI_REASONING_EFFORT: z.enum(REASONING_EFFORTS).default('none'),
    OPENAI_TEMPERATURE: z.coerce.number().min(0).max(2).default(0.7),
    OPENAI_MAX_OUTPUT_TOKENS: intFromEnv(16, 1000).default(180),
    /** Per-request time limit; the spec caps STT at 10 s. Retries are Temporal's (README "Retries"). */
    OPENAI_TIMEOUT_MS: intFromEnv(500, 60_000).default(10_000),
    /** Latency the local OpenAI emulator adds (only without OPENAI_API_KEY): none, fast, typical or slow. */
    OPENAI_EMULATOR_LATENCY: z.enum(['none', 'fast', 'typical', 'slow']).default('none'),
    SYSTEM_PROMPT_FILE: z.string().default('prompts/operator-system-prompt.ru.md'),
    /** Dialog history sent to the model is bounded to this many recent turns. */
    DIALOG_HISTORY_TURNS: intFromEnv(2, 100).default(20),

    GOOGLE_SHEETS_SPREADSHEET_ID: optionalText,
    /** Sheet (tab) title; empty means the first sheet of the spreadsheet. */
    GOOGLE_SHEETS_SHEET_NAME: optionalText,
    GOOGLE_CREDENTIALS_JSON: optionalText.refine(isJson, 'is not valid JSON'),
    GOOGLE_CREDENTIALS_FILE: optionalText,
    /** Sheets API root other than Google's public one (a Private Service Connect endpoint or a proxy). */
    GOOGLE_SHEETS_API_URL: optionalText.pipe(z.url().optional()),
    /** OAuth token endpoint other than https://oauth2.googleapis.com/token (with GOOGLE_SHEETS_API_URL). */
    GOOGLE_OAUTH_TOKEN_URL: optionalText.pipe(z.url().optional()),
    /** The local results file, used when Google Sheets is not configured. */
    RESULTS_CSV_PATH: z.string().default('.data/results.csv'),

    /**
     * simulated: a virtual callee speaking over the media gateway; simulated-text: the same callee in
     * text (fast, no audio); voximplant: real calls through Voximplant (our VoxEngine scenario);
     * sip: a SIP trunk (Zadarma / Novofon, Mango Office, Asterisk...) dialed by the media gateway.
     */
    TELEPHONY_PROVIDER: z.enum(['simulated', 'simulated-text', 'voximplant', 'sip']).default('simulated'),
    /**
     * The provider's secret: for voximplant the service account key JSON (or use
     * TELEPHONY_CREDENTIALS_FILE); for sip the SIP password (unless TELEPHONY_CONFIG has one).
     */
    TELEPHONY_API_KEY: optionalText,
    TELEPHONY_CREDENTIALS_FILE: optionalText,
    /** Provider settings as JSON; for `simulated`: {"default": "answer", "numbers": {"+79990000001": "busy"}}. */
    TELEPHONY_CONFIG: optionalText.refine(isJson, 'is not valid JSON'),

    /**
     * The media gateway (its own process, any number of them): WebSocket audio for providers, and a
     * Temporal worker on a task queue of its own. Unset: PORT (Render) for a gateway process alone, else 3001.
     */
    MEDIA_GATEWAY_PORT: intFromEnv(0, 65535).optional(),
    /** A readable name for this gateway in logs and task queue names (default: the host name). */
    MEDIA_GATEWAY_ID: optionalText.pipe(z.string().regex(/^[\w.-]{1,60}$/, 'letters, digits, _ . - (at most 60)').optional()),
    /** On SIGTERM a gateway takes no new calls and lets the calls on the line finish for at most this long. */
    MEDIA_GATEWAY_DRAIN_SEC: intFromEnv(0, 3600).default(150),
    /** How providers reach the gateway (ws:// or wss:// base); default ws://127.0.0.1:$MEDIA_GATEWAY_PORT. */
    MEDIA_GATEWAY_PUBLIC_URL: optionalText.pipe(z.url().optional()),
    /** Signs per-call media tokens. */
    MEDIA_TOKEN_SECRET: optionalText.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
    MEDIA_TOKEN_TTL_SEC: intFromEnv(30, 86_400).default(600),
    /** End of the callee's phrase = this much trailing silence. */
    VAD_SILENCE_MS: intFromEnv(100, 3000).default(500),
    /**
     * After this much silence the phrase so far already goes to STT and the model (preemptive reply);
     * the reply is played only once VAD_SILENCE_MS confirms the end, and dropped if the callee goes on. 0 = off.
     */
    VAD_EARLY_SILENCE_MS: intFromEnv(0, 3000).default(200),
    /**
     * How a reply is voiced. streamed (default): each sentence goes to TTS as soon as the model
     * completes it; whole: only the finished reply is voiced (the simpler design, kept for `npm run bench`).
     */
    REPLY_SPEECH: z.enum(['streamed', 'whole']).default('streamed'),
    /** Sounds shorter than this are not phrases (a lone «Да.» is ~160-220 ms of speech; Silero already ignores clicks). */
    VAD_MIN_SPEECH_MS: intFromEnv(50, 2000).default(150),

    CALL_MAX_DURATION_SEC: intFromEnv(5, 3600).default(120),
    CALL_MAX_TURNS: intFromEnv(1, 50).default(12),
    CALL_RING_TIMEOUT_SEC: intFromEnv(5, 300).default(30),
    MAX_CONCURRENT_CALLS: intFromEnv(1, 1000).default(3),
  })
  .superRefine((env, ctx) => {
    const production = env.NODE_ENV === 'production';
    if (production) {
      for (const key of ['API_AUTH_KEY', 'TELEPHONY_WEBHOOK_SECRET', 'OPENAI_API_KEY', 'TEMPORAL_ADDRESS', 'MEDIA_TOKEN_SECRET'] as const) {
        if (!env[key]) ctx.addIssue({ code: 'custom', path: [key], message: 'is required when NODE_ENV=production' });
      }
    }
    if (env.GOOGLE_SHEETS_SPREADSHEET_ID && !env.GOOGLE_CREDENTIALS_JSON && !env.GOOGLE_CREDENTIALS_FILE) {
      ctx.addIssue({
        code: 'custom',
        path: ['GOOGLE_CREDENTIALS_JSON'],
        message: 'GOOGLE_CREDENTIALS_JSON or GOOGLE_CREDENTIALS_FILE is required with GOOGLE_SHEETS_SPREADSHEET_ID',
      });
    }
  });

export type Env = z.infer<typeof EnvSchema>;

/** The TTS model in effect: OPENAI_TTS_MODEL, else the current default of the chosen API. */
export function ttsModelOf(env: Pick<Env, 'OPENAI_TTS_API' | 'OPENAI_TTS_MODEL'>): string {
  return env.OPENAI_TTS_MODEL ?? (env.OPENAI_TTS_API === 'realtime' ? 'gpt-realtime-2.1-mini' : 'gpt-4o-mini-tts');
}

export interface GoogleServiceAccount {
  client_email: string;
  private_key: string;
  private_key_id?: string;
}

export const GoogleServiceAccountSchema = z.object({
  client_email: z.string().min(3),
  private_key: z.string().includes('PRIVATE KEY'),
  private_key_id: z.string().optional(),
});

export interface AppConfig {
  env: Env;
  apiAuthKey: string;
  webhookSecret: string;
  publicBaseUrl: string;
  mediaTokenSecret: string;
  /** ws(s):// base providers connect to (one URL in front of every gateway); the path is /telephony/audio/{call_id}. */
  mediaGatewayPublicUrl: string;
  /** Present when TELEPHONY_PROVIDER=sip: the trunk the media gateway registers with and dials through. */
  sipTrunk?: SipTrunkConfig;
  /** Present when TELEPHONY_PROVIDER=voximplant. */
  voximplant?: { settings: VoximplantSettings; account: VoximplantServiceAccount };
  /** Present when Sheets is configured; otherwise results go to the CSV file. */
  googleServiceAccount?: GoogleServiceAccount;
  /** True when a development default stands in for a secret (logged loudly at startup). */
  usingDevSecrets: boolean;
  /** Values that must never appear in logs. */
  secrets: string[];
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env): AppConfig {
  // Hosts such as Render announce the port to listen on as PORT.
  const parsed = EnvSchema.safeParse({ ...source, API_PORT: source.API_PORT ?? source.PORT });
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.') || 'environment'} ${issue.message}`));
  }
  const env = parsed.data;
  if (env.TELEPHONY_PROVIDER.startsWith('simulated') && env.TELEPHONY_CONFIG) {
    const simulated = SimulatedTelephonyConfigSchema.safeParse(JSON.parse(env.TELEPHONY_CONFIG));
    if (!simulated.success) {
      throw new ConfigError(simulated.error.issues.map((i) => `TELEPHONY_CONFIG.${i.path.join('.')} ${i.message}`));
    }
    if (simulated.data.providerUrl && env.TELEPHONY_PROVIDER !== 'simulated') {
      throw new ConfigError(['TELEPHONY_CONFIG.providerUrl needs TELEPHONY_PROVIDER=simulated (the provider process carries voice calls only)']);
    }
  }

  const voximplant = env.TELEPHONY_PROVIDER === 'voximplant' ? loadVoximplant(env) : undefined;
  const sipTrunk = env.TELEPHONY_PROVIDER === 'sip' ? loadSipTrunk(env) : undefined;

  let googleServiceAccount: GoogleServiceAccount | undefined;
  if (env.GOOGLE_SHEETS_SPREADSHEET_ID) {
    const problems: string[] = [];
    let raw: string | undefined = env.GOOGLE_CREDENTIALS_JSON;
    const name = raw ? 'GOOGLE_CREDENTIALS_JSON' : 'GOOGLE_CREDENTIALS_FILE';
    if (!raw && env.GOOGLE_CREDENTIALS_FILE) {
      try {
        raw = readFileSync(env.GOOGLE_CREDENTIALS_FILE, 'utf8');
      } catch {
        problems.push(`GOOGLE_CREDENTIALS_FILE cannot be read: ${env.GOOGLE_CREDENTIALS_FILE}`);
      }
    }
    if (raw) {
      try {
        const account = GoogleServiceAccountSchema.safeParse(JSON.parse(raw));
        if (account.success) googleServiceAccount = account.data;
        else problems.push(`${name} is not a service account key (needs client_email and private_key)`);
      } catch {
        problems.push(`${name} is not valid JSON`);
      }
    }
    if (problems.length > 0) throw new ConfigError(problems);
  }

  const apiAuthKey = env.API_AUTH_KEY ?? DEV_API_AUTH_KEY;
  const webhookSecret = env.TELEPHONY_WEBHOOK_SECRET ?? DEV_WEBHOOK_SECRET;
  const secrets = [
    env.API_AUTH_KEY,
    env.TELEPHONY_WEBHOOK_SECRET,
    env.OPENAI_API_KEY,
    env.TELEPHONY_API_KEY,
    env.TEMPORAL_API_KEY,
    env.MEDIA_TOKEN_SECRET,
    googleServiceAccount?.private_key,
    googleServiceAccount?.private_key_id,
    voximplant?.account.private_key,
    sipTrunk?.password,
  ].filter((value): value is string => typeof value === 'string' && value.length >= 6);

  return {
    env,
    apiAuthKey,
    webhookSecret,
    publicBaseUrl: (env.PUBLIC_BASE_URL ?? `http://127.0.0.1:${env.API_PORT}`).replace(/\/$/, ''),
    mediaTokenSecret: env.MEDIA_TOKEN_SECRET ?? DEV_MEDIA_TOKEN_SECRET,
    mediaGatewayPublicUrl: (env.MEDIA_GATEWAY_PUBLIC_URL ?? `ws://127.0.0.1:${env.MEDIA_GATEWAY_PORT ?? 3001}`).replace(/\/$/, ''),
    googleServiceAccount,
    ...(voximplant ? { voximplant } : {}),
    ...(sipTrunk ? { sipTrunk } : {}),
    usingDevSecrets: !env.API_AUTH_KEY || !env.TELEPHONY_WEBHOOK_SECRET || !env.MEDIA_TOKEN_SECRET,
    secrets,
  };
}

/** Voximplant: settings from TELEPHONY_CONFIG, the service account key from TELEPHONY_API_KEY or TELEPHONY_CREDENTIALS_FILE. */
function loadVoximplant(env: Env): { settings: VoximplantSettings; account: VoximplantServiceAccount } {
  const problems: string[] = [];
  let settings: VoximplantSettings | undefined;
  const parsedSettings = VoximplantSettingsSchema.safeParse(env.TELEPHONY_CONFIG ? JSON.parse(env.TELEPHONY_CONFIG) : undefined);
  if (parsedSettings.success) settings = parsedSettings.data;
  else if (!env.TELEPHONY_CONFIG) problems.push('TELEPHONY_CONFIG is required for voximplant: {"rule_id": ..., "caller_id": "+7..."}');
  else problems.push(...parsedSettings.error.issues.map((i) => `TELEPHONY_CONFIG.${i.path.join('.')} ${i.message}`));

  let raw = env.TELEPHONY_API_KEY;
  if (!raw && env.TELEPHONY_CREDENTIALS_FILE) {
    try {
      raw = readFileSync(env.TELEPHONY_CREDENTIALS_FILE, 'utf8');
    } catch {
      problems.push(`TELEPHONY_CREDENTIALS_FILE cannot be read: ${env.TELEPHONY_CREDENTIALS_FILE}`);
    }
  }
  let account: VoximplantServiceAccount | undefined;
  if (!raw) {
    if (!env.TELEPHONY_CREDENTIALS_FILE) problems.push('TELEPHONY_API_KEY (service account key JSON) or TELEPHONY_CREDENTIALS_FILE is required for voximplant');
  } else {
    try {
      const parsed = VoximplantServiceAccountSchema.safeParse(JSON.parse(raw));
      if (parsed.success) account = parsed.data;
      else problems.push('the Voximplant key is not a service account key (needs account_id, key_id and private_key)');
    } catch {
      problems.push('the Voximplant key (TELEPHONY_API_KEY / TELEPHONY_CREDENTIALS_FILE) is not valid JSON');
    }
  }
  if (problems.length > 0 || !settings || !account) throw new ConfigError(problems);
  return { settings, account };
}

/** SIP: the trunk from TELEPHONY_CONFIG ({"preset": "zadarma" | "novofon" | "mango" | "asterisk" | "generic", ...}). */
function loadSipTrunk(env: Env): SipTrunkConfig {
  if (!env.TELEPHONY_CONFIG) throw new ConfigError(['TELEPHONY_CONFIG is required for sip: {"preset": "zadarma", "username": "..."}']);
  const raw = JSON.parse(env.TELEPHONY_CONFIG) as Record<string, unknown>;
  const withPassword = raw.password === undefined && env.TELEPHONY_API_KEY ? { ...raw, password: env.TELEPHONY_API_KEY } : raw;
  const parsed = SipTrunkConfigSchema.safeParse(withPassword);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => (i.path[0] === 'password' ? 'TELEPHONY_API_KEY (the SIP password) or TELEPHONY_CONFIG.password is required for sip' : `TELEPHONY_CONFIG.${i.path.join('.')} ${i.message}`)),
    );
  }
  return parsed.data;
}

/** Whether calls of the configured provider carry audio (through the media gateway) or text. */
export function mediaModeOf(config: AppConfig): 'voice' | 'text' {
  return config.env.TELEPHONY_PROVIDER === 'simulated-text' ? 'text' : 'voice';
}

/** Who dials: the provider's API from the general worker, or (a SIP trunk) a media gateway from the queue all gateways share. */
export function dialRouteOf(config: AppConfig): { dialVia: 'provider' } | { dialVia: 'media-gateway'; mediaDialQueue: string } {
  if (config.env.TELEPHONY_PROVIDER !== 'sip') return { dialVia: 'provider' };
  return { dialVia: 'media-gateway', mediaDialQueue: `${config.env.TEMPORAL_TASK_QUEUE}-sip-dial` };
}

/** Call limits handed to each workflow as arguments (tests pass short ones). */
export function callLimitsFrom(config: AppConfig) {
  return {
    maxConversationSec: config.env.CALL_MAX_DURATION_SEC,
    maxTurns: config.env.CALL_MAX_TURNS,
    ringTimeoutSec: config.env.CALL_RING_TIMEOUT_SEC,
  };
}
