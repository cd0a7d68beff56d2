import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Which OpenAI models the INSTALLED SDK marks as deprecated, and when they shut down. The SDK's type
 * declarations carry "Deprecated values: ... Announced shutdown date: YYYY-MM-DD" notes next to the
 * model unions (chat, speech, transcription, realtime); reading them at startup keeps this list as
 * current as the SDK, instead of a table of ours that would age.
 */

/** Declaration files whose model unions carry deprecation notes. */
const SDK_DECLARATIONS = ['resources/shared.d.ts', 'resources/audio/speech.d.ts', 'resources/audio/audio.d.ts', 'resources/realtime/realtime.d.ts'];

/** model -> shutdown date (YYYY-MM-DD), from one declaration file's text. */
export function parseDeprecationNotes(declarations: string): Map<string, string> {
  const shutdowns = new Map<string, string>();
  for (const block of declarations.matchAll(/\*\s*Deprecated values:([\s\S]*?)\*\//g)) {
    // Comment lines joined into one text, then cut into its "- ..." bullets.
    const text = (block[1] ?? '')
      .split('\n')
      .map((line) => line.replace(/^\s*\*\s?/, '').trim())
      .join(' ');
    for (const bullet of text.split(/\s-\s(?=")/)) {
      const date = /shutdown\s+date:\s*(\d{4}-\d{2}-\d{2})/i.exec(bullet)?.[1];
      if (!date) continue;
      for (const name of bullet.matchAll(/"([^"]+)"/g)) if (name[1]) shutdowns.set(name[1], date);
    }
  }
  return shutdowns;
}

let cached: Map<string, string> | null = null;

/** Every deprecated model the installed `openai` package names, with its shutdown date (empty when its declarations are not shipped). */
export function sdkModelShutdowns(): Map<string, string> {
  if (cached) return cached;
  const shutdowns = new Map<string, string>();
  let root: string;
  try {
    // The package's main file sits at its root (its exports map hides package.json).
    root = path.dirname(require.resolve('openai'));
  } catch {
    return (cached = shutdowns);
  }
  for (const file of SDK_DECLARATIONS) {
    try {
      for (const [model, date] of parseDeprecationNotes(readFileSync(path.join(root, file), 'utf8'))) shutdowns.set(model, date);
    } catch {
      // A declaration file moved in another SDK version: fewer warnings, never a failed start.
    }
  }
  return (cached = shutdowns);
}

export interface DeprecatedModelInUse {
  /** The setting that chose it, e.g. OPENAI_CHAT_MODEL. */
  setting: string;
  model: string;
  shutdownDate: string;
  /** Whole days from `today` to the shutdown (negative: already shut down). */
  daysLeft: number;
}

/** The configured models that the SDK marks as deprecated. */
export function deprecatedModelsInUse(models: Record<string, string>, shutdowns = sdkModelShutdowns(), today = new Date()): DeprecatedModelInUse[] {
  const out: DeprecatedModelInUse[] = [];
  for (const [setting, model] of Object.entries(models)) {
    const shutdownDate = shutdowns.get(model);
    if (!shutdownDate) continue;
    const daysLeft = Math.floor((Date.parse(`${shutdownDate}T00:00:00Z`) - today.getTime()) / 86_400_000);
    out.push({ setting, model, shutdownDate, daysLeft });
  }
  return out;
}
