import { z } from 'zod';

/** The part of a chat completion request the emulator reads; other fields are accepted and ignored. */
const ContentPartSchema = z.looseObject({ type: z.string(), text: z.string().optional() });

export const ChatMessageSchema = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
  content: z.union([z.string(), z.array(ContentPartSchema), z.null()]).optional(),
});
export type ChatMessage = z.infer<typeof ChatMessageSchema>;

export const ChatRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(ChatMessageSchema).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  reasoning_effort: z.enum(['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max']).nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
  max_tokens: z.number().int().positive().nullish(),
  response_format: z
    .looseObject({
      type: z.enum(['text', 'json_object', 'json_schema']),
      json_schema: z.looseObject({ name: z.string(), schema: z.unknown().optional(), strict: z.boolean().nullish() }).optional(),
    })
    .nullish(),
});
export type ChatRequest = z.infer<typeof ChatRequestSchema>;

export function textOf(content: ChatMessage['content']): string {
  if (typeof content === 'string') return content;
  if (!content) return '';
  return content.map((part) => part.text ?? '').join('');
}

/** OpenAI's error body: `{"error": {"message", "type", "param", "code"}}`. */
export function openAIErrorBody(message: string, type: string, code: string | null = null, param: string | null = null) {
  return { error: { message, type, param, code } };
}

/** Turns a zod failure into the 400 body the real API sends for a bad request. */
export function requestErrorBody(error: z.ZodError) {
  const issue = error.issues[0];
  const param = issue ? issue.path.map(String).join('.') : null;
  const missing = issue?.code === 'invalid_type' && issue.input === undefined;
  const message = missing
    ? `Missing required parameter: '${param}'.`
    : `Invalid value for '${param || 'body'}': ${issue?.message ?? 'invalid request'}.`;
  return openAIErrorBody(message, 'invalid_request_error', missing ? 'missing_required_parameter' : 'invalid_value', param || null);
}
