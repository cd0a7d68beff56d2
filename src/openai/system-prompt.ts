import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** Used for `{{product}}` when no description is configured. The company is fictitious. */
export const DEFAULT_PRODUCT_DESCRIPTION =
  'бизнес-интернет от компании «СвязьПлюс»: выделенный канал для офиса до 1 Гбит/с, ' +
  'бесплатное подключение и техническая поддержка круглосуточно';

export const DEFAULT_PROMPT_VARS: Readonly<Record<string, string>> = Object.freeze({
  product: DEFAULT_PRODUCT_DESCRIPTION,
});

/**
 * The model ends its final (goodbye) reply with this marker; it is stripped before the text is
 * spoken and tells the dialog loop the operator has closed the conversation.
 */
export const GOODBYE_MARKER = '[END]';

const MARKER_PATTERN = /\[\s*END\s*\]/gi;
/** A reply that plainly says goodbye counts as one even when the model forgot the marker. */
const GOODBYE_PHRASES = /(до\s+свидания|всего\s+доброго|всего\s+хорошего|хорошего\s+(вам\s+)?дня)/i;

export function splitGoodbyeMarker(text: string): { text: string; isGoodbye: boolean } {
  const hasMarker = /\[\s*END\s*\]/i.test(text);
  const cleaned = text.replace(MARKER_PATTERN, ' ').replace(/[ \t]{2,}/g, ' ').replace(/\s+([.!?,])/g, '$1').trim();
  return { text: cleaned, isGoodbye: hasMarker || GOODBYE_PHRASES.test(cleaned) };
}

const templateCache = new Map<string, string>();

/** Replaces `{{name}}` placeholders; an unknown placeholder is an error (a typo in the prompt file). */
export function renderSystemPrompt(template: string, vars: Readonly<Record<string, string | undefined>> = {}): string {
  const missing = new Set<string>();
  const rendered = template.replace(/\{\{\s*([a-zA-Z0-9_]+)\s*\}\}/g, (_match, name: string) => {
    const value = vars[name]?.trim() || DEFAULT_PROMPT_VARS[name];
    if (value === undefined) {
      missing.add(name);
      return '';
    }
    return value;
  });
  if (missing.size > 0) throw new Error(`System prompt placeholders without a value: ${[...missing].join(', ')}`);
  return rendered.trim();
}

/**
 * Reads the prompt file once per path (relative paths resolve against the working directory) and
 * fills its placeholders, e.g. `loadSystemPrompt(env.SYSTEM_PROMPT_FILE, { product })`.
 */
export function loadSystemPrompt(path: string, vars: Readonly<Record<string, string | undefined>> = {}): string {
  const absolute = resolve(path);
  let template = templateCache.get(absolute);
  if (template === undefined) {
    template = readFileSync(absolute, 'utf8');
    templateCache.set(absolute, template);
  }
  return renderSystemPrompt(template, vars);
}

/** For tests and hot reload. */
export function clearSystemPromptCache(): void {
  templateCache.clear();
}
