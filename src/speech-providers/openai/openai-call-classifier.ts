import type OpenAI from 'openai';
import type { DialogTurn } from '../../domain/call-session';
import { classifyCall } from '../../openai/call-classifier';
import type { ReasoningEffortSetting } from '../../openai/sampling';
import type { CallClassifier, CallOutcome } from '../call-classifier';
import { fromOpenAIError, OPENAI } from './openai-errors';

/** Spec 6.2 over `/v1/chat/completions` with structured output (strict JSON schema). */
export class OpenAICallClassifier implements CallClassifier {
  readonly provider = OPENAI;
  readonly model: string;

  constructor(private readonly options: { client: OpenAI; model: string; timeoutMs: number; reasoningEffort?: ReasoningEffortSetting }) {
    this.model = options.model;
  }

  async classify(transcript: readonly DialogTurn[], options: { signal?: AbortSignal } = {}): Promise<CallOutcome> {
    try {
      return await classifyCall(this.options.client, {
        model: this.model,
        reasoningEffort: this.options.reasoningEffort ?? 'none',
        transcript: [...transcript],
        timeoutMs: this.options.timeoutMs,
        maxRetries: 0, // retries are Temporal's (README "Retries")
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (err) {
      throw fromOpenAIError('classification', err);
    }
  }
}
