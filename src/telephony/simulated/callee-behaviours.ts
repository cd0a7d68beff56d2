import { z } from 'zod';

/**
 * What the virtual callee at a number does. Dial outcomes: busy, no_answer (rings until our ring
 * timeout), rejected (declines: the provider reports no_answer), unreachable (provider error),
 * provider_down (the provider's API refuses the dial request itself).
 * Personas answer and talk.
 */
export const CALLEE_BEHAVIOURS = [
  'interested',
  'not_interested',
  'call_later',
  'unclear',
  'silent',
  'hangs_up',
  'interrupts',
  'pauses',
  'hangs_up_mid_reply',
  'busy',
  'no_answer',
  'rejected',
  'unreachable',
  'provider_down',
] as const;
export type CalleeBehaviour = (typeof CALLEE_BEHAVIOURS)[number];
export const CalleeBehaviourSchema = z.enum(CALLEE_BEHAVIOURS);

export const SimulatedTelephonyConfigSchema = z
  .object({
    /** Used for numbers not listed below and matching no suffix rule. */
    default: CalleeBehaviourSchema.default('interested'),
    /** Exact numbers (+7XXXXXXXXXX). */
    numbers: z.record(z.string().regex(/^\+7\d{10}$/), CalleeBehaviourSchema).default({}),
    /** Rules by the number's last digits, e.g. {"0002": "busy"}; the longest matching suffix wins. */
    suffixes: z.record(z.string().regex(/^\d{1,10}$/), CalleeBehaviourSchema).default({}),
    /** Milliseconds from dialing to `ringing`, and from ringing to `answered`. */
    ringAfterMs: z.number().int().min(0).max(60_000).default(300),
    answerAfterMs: z.number().int().min(0).max(120_000).default(1200),
    /** Pause of the callee before each of its phrases. */
    thinkMs: z.number().int().min(0).max(30_000).default(700),
    /**
     * A simulated provider running as a process of its own (`npm run bench` starts one): dial
     * requests go there over HTTP, and its callees stream to the gateway like a real provider's.
     */
    providerUrl: z.url().optional(),
  })
  .strict();
export type SimulatedTelephonyConfig = z.infer<typeof SimulatedTelephonyConfigSchema>;

/** Built-in rules so a demo can reach every outcome by number; TELEPHONY_CONFIG overrides them. */
export const DEFAULT_SUFFIX_RULES: Record<string, CalleeBehaviour> = {
  '0001': 'interested',
  '0002': 'busy',
  '0003': 'no_answer',
  '0004': 'unreachable',
  '0005': 'not_interested',
  '0006': 'call_later',
  '0007': 'silent',
  '0008': 'hangs_up',
  '0009': 'unclear',
  '0010': 'rejected',
  '0011': 'provider_down',
  '0012': 'interrupts',
  '0013': 'pauses',
  '0014': 'hangs_up_mid_reply',
};

export function parseSimulatedConfig(json: string | undefined): SimulatedTelephonyConfig {
  const raw: unknown = json ? JSON.parse(json) : {};
  const parsed = SimulatedTelephonyConfigSchema.parse(raw);
  return { ...parsed, suffixes: { ...DEFAULT_SUFFIX_RULES, ...parsed.suffixes } };
}

export function behaviourFor(phone: string, config: SimulatedTelephonyConfig): CalleeBehaviour {
  const exact = config.numbers[phone];
  if (exact) return exact;
  const suffix = Object.keys(config.suffixes)
    .filter((digits) => phone.endsWith(digits))
    .sort((a, b) => b.length - a.length)[0];
  return suffix ? config.suffixes[suffix]! : config.default;
}

/** What each talking persona says, one line per operator reply; after the last line it waits for goodbye. */
export const PERSONA_LINES: Record<'interested' | 'not_interested' | 'call_later' | 'unclear' | 'hangs_up' | 'interrupts' | 'pauses' | 'hangs_up_mid_reply', string[]> = {
  interested: [
    'Алло, да, слушаю вас.',
    'Да, интересно, расскажите подробнее.',
    'Звучит хорошо, давайте, пусть менеджер мне перезвонит.',
    'Да, всё верно, спасибо.',
  ],
  not_interested: ['Алло, слушаю.', 'Нет, спасибо, нам это не интересно.', 'Нет, не надо, всего доброго.'],
  call_later: ['Алло, да.', 'Я сейчас занят, перезвоните, пожалуйста, позже.', 'Лучше завтра после обеда.'],
  unclear: ['Алло.', 'Ну не знаю, может быть.', 'Сложно сказать.', 'Не знаю.'],
  hangs_up: ['Алло, кто это?'],
  /** Says its second line over the operator's second phrase (barge-in), in voice mode. */
  interrupts: ['Алло, да.', 'Подождите, мне сейчас неудобно, перезвоните позже.'],
  /** Hesitates mid-phrase (` | ` = a pause of PAUSE_MS): the operator must wait for the whole phrase. */
  pauses: ['Алло, слушаю.', 'Ну, даже не знаю | пожалуй, расскажите подробнее.', 'Хорошо, пусть менеджер перезвонит.'],
  /**
   * Voice mode: hangs up while the operator answers its first line. Only the provider's hang-up
   * event goes out; the media stream stays open a while, so the callee's ear measures how soon the
   * operator's voice stops (npm run bench).
   */
  hangs_up_mid_reply: ['Алло, да, слушаю вас.'],
};

/** How long into the operator's phrase the `interrupts` persona starts talking over it. */
export const INTERRUPT_AFTER_MS = 900;
/** How long into the operator's answer `hangs_up_mid_reply` hangs up, and how long its line then stays open. */
export const HANGUP_AFTER_MS = 600;
export const LINE_OPEN_AFTER_HANGUP_MS = 2500;
