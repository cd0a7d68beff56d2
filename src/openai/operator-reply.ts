import type OpenAI from 'openai';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { DialogTurn } from '../domain/call-session';
import { splitGoodbyeMarker } from './system-prompt';
import { requestOptions } from './client';
import { samplingParams, type ReasoningEffortSetting } from './sampling';

/** Appended to an assistant turn the callee talked over, so the model knows it was not heard in full. */
export const INTERRUPTED_MARK = ' [перебит абонентом]';

/** The final system message used when the time or turn limit is reached. */
export const DEFAULT_CLOSING_INSTRUCTION =
  'Время разговора истекло: кратко подведи итог и попрощайся. Закончи реплику меткой [END].';

export interface OperatorReplyRequest {
  model: string;
  temperature: number;
  /** Default `none`: current models reason unless told not to (README "OpenAI models"). */
  reasoningEffort?: ReasoningEffortSetting;
  /** Spec 6.2: the reply is short (150-200 tokens). */
  maxOutputTokens: number;
  systemPrompt: string;
  history: DialogTurn[];
  /** At most this many turns are sent; the opening assistant greeting is kept when it would fall out. */
  maxHistoryTurns: number;
  /** Sent as a last system message, e.g. DEFAULT_CLOSING_INSTRUCTION when a limit is reached. */
  closingInstruction?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
  maxRetries?: number;
}

export interface OperatorReplyUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

export interface OperatorReply {
  /** Ready to speak: the goodbye marker and service marks are removed. */
  text: string;
  /** The operator said goodbye: the dialog should end after this reply is played. */
  isGoodbye: boolean;
  finishReason: string | null;
  usage?: OperatorReplyUsage;
}

/** The turns that are sent: the last `maxTurns`, with the first assistant greeting kept in front. */
export function boundHistory(history: readonly DialogTurn[], maxTurns: number): DialogTurn[] {
  const turns = history.filter((turn) => turn.text.trim() !== '');
  const limit = Math.max(1, Math.floor(maxTurns));
  if (turns.length <= limit) return [...turns];
  const first = turns[0];
  if (limit >= 2 && first?.speaker === 'assistant') {
    return [first, ...turns.slice(turns.length - (limit - 1))];
  }
  return turns.slice(turns.length - limit);
}

export function toChatMessages(turns: readonly DialogTurn[]): ChatCompletionMessageParam[] {
  return turns.map((turn): ChatCompletionMessageParam =>
    turn.speaker === 'assistant'
      ? { role: 'assistant', content: turn.interrupted ? `${turn.text.trim()}${INTERRUPTED_MARK}` : turn.text.trim() }
      : { role: 'user', content: turn.text.trim() },
  );
}

/** When the output was cut by the token limit, end it at the last complete sentence. */
function trimToSentence(text: string): string {
  const match = /^[\s\S]*[.!?…](?=\s|$)/.exec(text);
  return match && match[0].trim().length > 0 ? match[0].trim() : text.trim();
}

/** One operator reply (spec 5.1 / 6.2): system prompt + bounded history -> next thing to say. */
/** System prompt + bounded history (+ a closing instruction at a limit), as sent to the model. */
export function buildReplyMessages(request: OperatorReplyRequest): ChatCompletionMessageParam[] {
  const messages: ChatCompletionMessageParam[] = [
    { role: 'system', content: request.systemPrompt },
    ...toChatMessages(boundHistory(request.history, request.maxHistoryTurns)),
  ];
  const closing = request.closingInstruction?.trim();
  if (closing) messages.push({ role: 'system', content: closing });
  return messages;
}

export async function generateOperatorReply(client: OpenAI, request: OperatorReplyRequest): Promise<OperatorReply> {
  const messages = buildReplyMessages(request);

  const completion = await client.chat.completions.create(
    {
      model: request.model,
      messages,
      ...samplingParams(request.reasoningEffort ?? 'none', request.temperature),
      max_completion_tokens: request.maxOutputTokens,
    },
    requestOptions(request),
  );

  const choice = completion.choices[0];
  const finishReason = choice?.finish_reason ?? null;
  let raw = (choice?.message.content ?? '').split(INTERRUPTED_MARK.trim()).join('').trim();
  if (finishReason === 'length') raw = trimToSentence(raw);
  const { text, isGoodbye } = splitGoodbyeMarker(raw);
  if (text === '') {
    const refusal = choice?.message.refusal;
    throw new Error(
      `The model returned an empty operator reply (finish_reason: ${finishReason ?? 'none'}${refusal ? ', refusal' : ''})`,
    );
  }
  const usage = completion.usage
    ? {
        promptTokens: completion.usage.prompt_tokens,
        completionTokens: completion.usage.completion_tokens,
        totalTokens: completion.usage.total_tokens,
      }
    : undefined;
  return { text, isGoodbye, finishReason, usage };
}
