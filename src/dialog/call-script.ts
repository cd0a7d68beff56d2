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
    repromptPhrase: z.string().min(1),
    silenceGoodbye: z.string().min(1),
    silenceRepromptSec: z.number().min(1).max(60),
    maxReprompts: z.number().int().min(0).max(10),
    timeLimitInstruction: z.string().min(1),
    turnLimitInstruction: z.string().min(1),
    closingPhrase: z.string().min(1),
    summaries: z
      .object({
        silentCallee: z.string().min(1),
        classificationFailed: z.string().min(1),
        noAnswer: z.string().includes('{reason}'),
        failed: z.string().includes('{reason}'),
        noAnswerDefaultReason: z.string().min(1),
        failedDefaultReason: z.string().min(1),
      })
      .strict(),
  })
  .strict();

/** The fixed phrases of a call (greeting, fallback, re-prompt, goodbyes) and silence rules, from prompts/call-script.ru.json. */
export function loadCallScript(file = 'prompts/call-script.ru.json'): CallScript {
  const raw: unknown = JSON.parse(readFileSync(path.resolve(projectRoot(), file), 'utf8'));
  return CallScriptSchema.parse(raw);
}

/** The phrases said word for word: synthesised once per voice and replayed from the cache. */
export function fixedPhrases(script: CallScript): string[] {
  return [script.greeting, script.fallbackPhrase, script.failureGoodbye, script.repromptPhrase, script.silenceGoodbye, script.closingPhrase];
}
