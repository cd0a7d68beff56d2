import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { CallScript } from '../../workflows/definitions';
import { projectRoot } from '../util/project-root';

const CallScriptSchema = z
  .object({
    greeting: z.string().min(1),
    fallbackPhrase: z.string().min(1),
    failureGoodbye: z.string().min(1),
    maxConsecutiveFailures: z.number().int().min(1).max(10),
  })
  .strict();

/** The fixed phrases of a call (greeting, fallback, failure goodbye), from prompts/call-script.ru.json. */
export function loadCallScript(file = 'prompts/call-script.ru.json'): CallScript {
  const raw: unknown = JSON.parse(readFileSync(path.resolve(projectRoot(), file), 'utf8'));
  return CallScriptSchema.parse(raw);
}
