import { CALLEE_LABEL } from '../call-classifier';
import type { ChatMessage } from './request-schema';
import { textOf } from './request-schema';

/** Emulated classification of a callee's words by Russian keyword rules (deterministic). */
export type EmulatedDisposition = 'interested' | 'not_interested' | 'call_later' | 'neutral';

/** Word-boundary test that works for Cyrillic (JS `\b` does not). */
const word = (w: string) => new RegExp(`(?<!\\p{L})${w}(?!\\p{L})`, 'u');

/** Ordered rules: the first match decides; `null` means "no signal in this utterance". */
const RULES: ReadonlyArray<readonly [RegExp, EmulatedDisposition | null]> = [
  [/не\s*интерес/, 'not_interested'],
  [/не\s*(надо|нужн|хочу|актуальн|беспокой|звоните|перезванивайте)/, 'not_interested'],
  [/нет,?\s*спасибо|отказыва|откажусь|уберите мой номер/, 'not_interested'],
  // "пусть менеджер перезвонит" is agreement, not "call me later".
  [/менеджер[^.!?]*перезвон|перезвон[^.!?]*менеджер/, 'interested'],
  [/перезвон|позже|не сейчас|не могу|попозже|занят|неудобно|не\s*удобно|в другой раз|за рул|на совещании|завтра|на следующей неделе/, 'call_later'],
  [/интерес|подробн|запиш|расскаж|рассказыва|давайте|хочу|соглас|передайте|оформ|подключ/, 'interested'],
  [/алло|слушаю|кто это|кто звонит|что за|какая компания|сколько|цен[аы]|стоит|не расслыша|повторите/, null],
  [word('нет'), 'not_interested'],
  [/(?<!\p{L})(да|конечно|хорошо|можно|ага|угу|ладно)(?!\p{L})/u, 'interested'],
];

export function classifyUtterance(text: string): EmulatedDisposition | null {
  const normalized = text.toLowerCase().replace(/ё/g, 'е');
  for (const [pattern, disposition] of RULES) {
    if (pattern.test(normalized)) return disposition;
  }
  return null;
}

/** The callee's last utterance that carries a signal decides; none -> neutral. */
export function classifyUtterances(utterances: readonly string[]): { disposition: EmulatedDisposition; decisive?: string } {
  for (let i = utterances.length - 1; i >= 0; i -= 1) {
    const text = utterances[i] ?? '';
    const disposition = classifyUtterance(text);
    if (disposition) return { disposition, decisive: text };
  }
  return { disposition: 'neutral' };
}

/** Callee lines from a classification prompt ("Абонент: ..."), else the user messages themselves. */
export function calleeUtterances(messages: readonly ChatMessage[]): string[] {
  const userTexts = messages.filter((m) => m.role === 'user').map((m) => textOf(m.content));
  const labelled = new RegExp(`^\\s*${CALLEE_LABEL}:\\s*(.+)$`, 'gmu');
  const lines = userTexts.flatMap((text) => [...text.matchAll(labelled)].map((match) => (match[1] ?? '').trim()));
  return lines.length > 0 ? lines : userTexts.map((t) => t.trim()).filter((t) => t !== '');
}

const SUMMARY: Record<EmulatedDisposition, string> = {
  interested: 'Абонент проявил интерес к предложению и готов к звонку менеджера.',
  not_interested: 'Абонент отказался от предложения.',
  call_later: 'Абонент попросил перезвонить позже.',
  neutral: 'Абонент не дал определённого ответа о своём интересе.',
};

function quote(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 80 ? `${flat.slice(0, 79)}…` : flat;
}

export function emulateClassification(messages: readonly ChatMessage[]): { final_disposition: EmulatedDisposition; short_summary: string } {
  const utterances = calleeUtterances(messages);
  const { disposition, decisive } = classifyUtterances(utterances);
  const sentence = SUMMARY[disposition];
  return {
    final_disposition: disposition,
    short_summary: decisive ? `${sentence} Ключевая реплика: «${quote(decisive)}».` : sentence,
  };
}

/**
 * A value that conforms to a (strict) JSON schema: known classification fields get the emulated
 * values, anything else a type-appropriate default. Covers the subset structured outputs allow.
 */
export function fillSchema(schema: unknown, known: Readonly<Record<string, unknown>>, defs?: Record<string, unknown>): unknown {
  if (!schema || typeof schema !== 'object') return null;
  const s = schema as Record<string, unknown>;
  const definitions = (s.$defs ?? s.definitions ?? defs) as Record<string, unknown> | undefined;
  if (typeof s.$ref === 'string') {
    const name = s.$ref.split('/').pop() ?? '';
    return fillSchema(definitions?.[name], known, definitions);
  }
  if (Array.isArray(s.enum)) return s.enum[0] ?? null;
  if ('const' in s) return s.const;
  const variants = (s.anyOf ?? s.oneOf) as unknown[] | undefined;
  if (Array.isArray(variants)) return fillSchema(variants[0], known, definitions);
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  switch (type) {
    case 'object': {
      const properties = (s.properties ?? {}) as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [key, propSchema] of Object.entries(properties)) {
        const allowed = (propSchema as { enum?: unknown[] } | null)?.enum;
        const value = known[key];
        out[key] = value !== undefined && (!allowed || allowed.includes(value)) ? value : fillSchema(propSchema, known, definitions);
      }
      return out;
    }
    case 'array':
      return [];
    case 'string':
      return '';
    case 'number':
    case 'integer':
      return 0;
    case 'boolean':
      return false;
    default:
      return null;
  }
}
