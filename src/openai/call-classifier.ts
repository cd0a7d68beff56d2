import type OpenAI from 'openai';
import { APIError } from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import type { DialogTurn } from '../domain/call-session';
import { requestOptions } from './client';
import { samplingParams, type ReasoningEffortSetting } from './sampling';

/** Spec 6.2: the post-call classification; `unknown` is not a model outcome (it means no conversation). */
export const CLASSIFIED_DISPOSITIONS = ['interested', 'not_interested', 'call_later', 'neutral'] as const;

export const CallClassificationSchema = z.object({
  final_disposition: z
    .enum(CLASSIFIED_DISPOSITIONS)
    .describe('interested — интересно; not_interested — не интересно; call_later — перезвонить позже; neutral — непонятно'),
  short_summary: z.string().describe('1–2 предложения на русском языке'),
});
export type CallClassification = z.infer<typeof CallClassificationSchema>;

/** The name of the structured-output schema (the emulator recognises it). */
export const CLASSIFICATION_SCHEMA_NAME = 'call_classification';

/** Speaker labels in the transcript text the classifier sees. */
export const OPERATOR_LABEL = 'Оператор';
export const CALLEE_LABEL = 'Абонент';

export const CLASSIFIER_INSTRUCTION = [
  'Ты анализируешь расшифровку исходящего телефонного звонка: оператор предлагал абоненту продукт.',
  'Классифицируй интерес абонента по его репликам и верни JSON:',
  '- final_disposition: "interested" — абонент заинтересовался или согласился на звонок менеджера;',
  '  "not_interested" — отказался, не интересно; "call_later" — попросил перезвонить позже или был занят;',
  '  "neutral" — исход неясен (не ответил по существу, разговор оборвался).',
  '- short_summary: итог разговора в 1–2 коротких предложениях на русском языке.',
  'Опирайся только на расшифровку, ничего не придумывай.',
].join('\n');

export interface ClassifyCallRequest {
  model: string;
  /** Default `none` (see sampling.ts). */
  reasoningEffort?: ReasoningEffortSetting;
  transcript: DialogTurn[];
  signal?: AbortSignal;
  timeoutMs?: number;
  maxRetries?: number;
}

export function formatTranscript(transcript: readonly DialogTurn[]): string {
  return transcript
    .filter((turn) => turn.text.trim() !== '')
    .map((turn) => {
      const label = turn.speaker === 'assistant' ? OPERATOR_LABEL : CALLEE_LABEL;
      const cut = turn.speaker === 'assistant' && turn.interrupted ? ' [перебит]' : '';
      return `${label}: ${turn.text.trim().replace(/\s+/g, ' ')}${cut}`;
    })
    .join('\n');
}

/**
 * Spec 6.2: a separate model call after the conversation, with structured output (strict JSON
 * schema). Throws on refusal, truncation or output that does not match the schema.
 * A transcript in which the callee said nothing is `neutral` without calling the model.
 */
export async function classifyCall(client: OpenAI, request: ClassifyCallRequest): Promise<CallClassification> {
  if (!request.transcript.some((turn) => turn.speaker === 'user' && turn.text.trim() !== '')) {
    return { final_disposition: 'neutral', short_summary: 'Абонент ничего не сказал в ходе разговора.' };
  }
  let completion: Awaited<ReturnType<typeof parseClassification>>;
  try {
    completion = await parseClassification(client, request);
  } catch (err) {
    // API errors (HTTP status, timeout, connection) pass through for describeOpenAIError / retries;
    // anything else (bad JSON, schema mismatch, truncated output) becomes one clear message.
    if (err instanceof APIError) throw err;
    const reason = err instanceof Error ? err.message.slice(0, 300) : String(err);
    throw new Error(`Call classification output is invalid: ${reason}`, { cause: err });
  }
  const message = completion.choices[0]?.message;
  if (!message) throw new Error('Call classification failed: the model returned no choices');
  if (message.refusal) throw new Error(`Call classification refused by the model: ${message.refusal.slice(0, 200)}`);
  const checked = CallClassificationSchema.safeParse(message.parsed);
  if (!checked.success) {
    throw new Error(
      `Call classification output does not match the schema: ${checked.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`,
    );
  }
  const summary = checked.data.short_summary.trim();
  if (summary === '') throw new Error('Call classification output has an empty short_summary');
  return { final_disposition: checked.data.final_disposition, short_summary: summary };
}

function parseClassification(client: OpenAI, request: ClassifyCallRequest) {
  return client.chat.completions.parse(
    {
      model: request.model,
      ...samplingParams(request.reasoningEffort ?? 'none', 0),
      max_completion_tokens: 300,
      messages: [
        { role: 'system', content: CLASSIFIER_INSTRUCTION },
        { role: 'user', content: `Расшифровка звонка:\n${formatTranscript(request.transcript)}` },
      ],
      response_format: zodResponseFormat(CallClassificationSchema, CLASSIFICATION_SCHEMA_NAME),
    },
    requestOptions(request),
  );
}
