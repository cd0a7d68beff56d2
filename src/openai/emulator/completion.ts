import { emulateOperatorReply } from './chat-rules';
import { emulateClassification, fillSchema } from './classification-rules';
import type { ChatRequest } from './request-schema';
import { textOf } from './request-schema';

/** The model name the emulator reports, so no response can be mistaken for the real API's. */
export const emulatedModelName = (model: string) => (model.startsWith('emulated-') ? model : `emulated-${model}`);

/** A rough, deterministic token estimate (about 4 characters per token). */
export const estimateTokens = (text: string) => Math.max(1, Math.ceil(text.length / 4));

export interface EmulatedCompletion {
  content: string;
  finishReason: 'stop' | 'length';
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

/** Decides the reply content for a validated chat request. */
export function emulateCompletion(request: ChatRequest): EmulatedCompletion {
  const format = request.response_format;
  let content: string;
  if (format?.type === 'json_schema') {
    const classification = emulateClassification(request.messages);
    const schema = format.json_schema?.schema;
    // The classification schema gets the rule-based values; any other schema a conforming filler.
    content = JSON.stringify(schema ? fillSchema(schema, classification) : classification);
  } else if (format?.type === 'json_object') {
    content = JSON.stringify(emulateClassification(request.messages));
  } else {
    content = emulateOperatorReply(request.messages);
  }

  let finishReason: EmulatedCompletion['finishReason'] = 'stop';
  const limit = request.max_completion_tokens ?? request.max_tokens;
  if (limit != null && estimateTokens(content) > limit) {
    content = content.slice(0, limit * 4);
    finishReason = 'length';
  }
  const promptTokens = request.messages.reduce((sum, m) => sum + 4 + estimateTokens(textOf(m.content)), 3);
  const completionTokens = estimateTokens(content);
  return {
    content,
    finishReason,
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
  };
}

export function completionBody(id: string, created: number, model: string, result: EmulatedCompletion) {
  return {
    id,
    object: 'chat.completion',
    created,
    model: emulatedModelName(model),
    system_fingerprint: 'openai-emulator',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: result.content, refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: result.finishReason,
      },
    ],
    usage: result.usage,
  };
}

/** The SSE `data:` payloads of a streamed completion, without the final `[DONE]`. */
export function completionChunks(id: string, created: number, model: string, result: EmulatedCompletion, includeUsage: boolean): unknown[] {
  const base = { id, object: 'chat.completion.chunk', created, model: emulatedModelName(model), system_fingerprint: 'openai-emulator' };
  const usage = includeUsage ? { usage: null } : {};
  const chunk = (delta: Record<string, unknown>, finish: string | null) => ({
    ...base,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...usage,
  });
  const pieces = result.content.match(/\S+\s*|\s+/g) ?? [];
  const chunks: unknown[] = [chunk({ role: 'assistant', content: '', refusal: null }, null)];
  for (const piece of pieces) chunks.push(chunk({ content: piece }, null));
  chunks.push(chunk({}, result.finishReason));
  if (includeUsage) chunks.push({ ...base, choices: [], usage: result.usage });
  return chunks;
}
