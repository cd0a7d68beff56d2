import type { ReasoningEffort } from 'openai/resources/shared';

/**
 * How much a chat model reasons before it answers. Current models (gpt-6-luna) reason by default,
 * which costs the callee seconds: we send `none`. `omit` sends no `reasoning_effort` at all, for
 * older models and OpenAI-compatible servers that do not know the parameter.
 */
export const REASONING_EFFORTS = ['omit', 'none', 'low', 'medium', 'high', 'xhigh', 'max'] as const;
export type ReasoningEffortSetting = (typeof REASONING_EFFORTS)[number];

/**
 * The sampling fields of a chat request. The API takes `temperature` only with no reasoning
 * (`none`) or from models that do not reason (`omit`); with any other effort it is left out.
 */
export function samplingParams(effort: ReasoningEffortSetting, temperature: number): { reasoning_effort?: Exclude<ReasoningEffort, null>; temperature?: number } {
  if (effort === 'omit') return { temperature };
  if (effort === 'none') return { reasoning_effort: 'none', temperature };
  return { reasoning_effort: effort };
}
