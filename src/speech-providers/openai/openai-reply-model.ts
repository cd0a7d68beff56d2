import type OpenAI from 'openai';
import { generateOperatorReply, type OperatorReplyRequest } from '../../openai/operator-reply';
import { streamOperatorSentences } from '../../openai/operator-reply-stream';
import type { ReasoningEffortSetting } from '../../openai/sampling';
import { splitGoodbyeMarker } from '../../openai/system-prompt';
import type { ReplyModel, ReplyPiece, ReplyRequest } from '../reply-model';
import { fromOpenAIError, OPENAI } from './openai-errors';

export interface OpenAIReplyModelOptions {
  client: OpenAI;
  model: string;
  systemPrompt: string;
  /** Spec 6.2: 0.7. */
  temperature: number;
  /** Default none: current models reason unless told not to (sampling.ts). */
  reasoningEffort?: ReasoningEffortSetting;
  /** Spec 6.2: 150-200 tokens. */
  maxOutputTokens: number;
  maxHistoryTurns: number;
  timeoutMs: number;
}

/** `/v1/chat/completions`, streamed: the reply cut into speakable pieces as it is generated. */
export class OpenAIReplyModel implements ReplyModel {
  readonly provider = OPENAI;
  readonly model: string;
  readonly capabilities = { streaming: true, structuredOutput: true } as const;

  constructor(private readonly options: OpenAIReplyModelOptions) {
    this.model = options.model;
  }

  async *streamReply(request: ReplyRequest): AsyncIterable<ReplyPiece> {
    try {
      for await (const raw of streamOperatorSentences(this.options.client, this.request(request))) {
        const piece = splitGoodbyeMarker(raw);
        if (piece.text !== '' || piece.isGoodbye) yield piece;
      }
    } catch (err) {
      throw fromOpenAIError('LLM', err);
    }
  }

  async reply(request: ReplyRequest): Promise<ReplyPiece> {
    try {
      const reply = await generateOperatorReply(this.options.client, this.request(request));
      return { text: reply.text, isGoodbye: reply.isGoodbye };
    } catch (err) {
      throw fromOpenAIError('LLM', err);
    }
  }

  private request(request: ReplyRequest): OperatorReplyRequest {
    return {
      model: this.model,
      temperature: this.options.temperature,
      reasoningEffort: this.options.reasoningEffort ?? 'none',
      maxOutputTokens: this.options.maxOutputTokens,
      systemPrompt: this.options.systemPrompt,
      history: [...request.history],
      maxHistoryTurns: this.options.maxHistoryTurns,
      closingInstruction: request.closingInstruction,
      timeoutMs: this.options.timeoutMs,
      maxRetries: 0, // retries are Temporal's (README "Retries")
      ...(request.signal ? { signal: request.signal } : {}),
    };
  }
}
