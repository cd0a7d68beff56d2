import { z } from 'zod';

/**
 * The client events of OpenAI's GA Realtime API that the emulator understands, validated at the
 * WebSocket boundary. Objects are strict like the real API's ("Unknown parameter"), so a client
 * that sends the old beta shape (`input_audio_format`, `transcription_session.update`) fails here as
 * it would against OpenAI. Fields the emulator accepts but ignores are typed `unknown`.
 */

const EventId = z.string().min(1).max(512).optional();
const Ignored = z.unknown().optional();

export const AudioFormatSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('audio/pcm'), rate: z.literal(24000).optional() }),
  z.strictObject({ type: z.literal('audio/pcmu') }),
  z.strictObject({ type: z.literal('audio/pcma') }),
]);
export type AudioFormatParam = z.infer<typeof AudioFormatSchema>;

const LanguageCode = z.string().min(2).max(10);

export const TranscriptionSchema = z
  .strictObject({
    model: z.string().min(1),
    language: LanguageCode.optional(),
    languages: z.array(LanguageCode).min(1).optional(),
    prompt: z.string().optional(),
    keywords: z.array(z.string()).optional(),
    delay: Ignored,
  })
  .refine((t) => t.language === undefined || t.languages === undefined, {
    message: "Set either 'language' or 'languages', not both",
    path: ['languages'],
  });
export type TranscriptionConfig = z.infer<typeof TranscriptionSchema>;

export const TURN_DETECTION_UNSUPPORTED =
  'The emulator only supports turn_detection null (it has no server VAD): commit the input audio buffer yourself';

const InputAudioSchema = z.strictObject({
  format: AudioFormatSchema.optional(),
  transcription: TranscriptionSchema.nullable().optional(),
  turn_detection: z.unknown().refine((value) => value === null || value === undefined, { message: TURN_DETECTION_UNSUPPORTED }).optional(),
  noise_reduction: Ignored,
});

const VoiceSchema = z.union([z.string().min(1), z.strictObject({ id: z.string().min(1) })]);
const ModalitiesSchema = z.array(z.enum(['text', 'audio'])).length(1);
const MaxOutputTokensSchema = z.union([z.number().int().min(1).max(4096), z.literal('inf')]);

const RealtimeSessionSchema = z.strictObject({
  type: z.literal('realtime'),
  model: z.string().min(1).optional(),
  instructions: z.string().optional(),
  output_modalities: ModalitiesSchema.optional(),
  audio: z
    .strictObject({
      input: InputAudioSchema.optional(),
      output: z
        .strictObject({
          format: AudioFormatSchema.optional(),
          voice: VoiceSchema.optional(),
          speed: z.number().min(0.25).max(1.5).optional(),
        })
        .optional(),
    })
    .optional(),
  max_output_tokens: MaxOutputTokensSchema.optional(),
  include: Ignored,
  tools: Ignored,
  tool_choice: Ignored,
  tracing: Ignored,
  truncation: Ignored,
  prompt: Ignored,
  reasoning: Ignored,
  parallel_tool_calls: Ignored,
});

const TranscriptionSessionSchema = z.strictObject({
  type: z.literal('transcription'),
  audio: z.strictObject({ input: InputAudioSchema.optional() }).optional(),
  include: Ignored,
});

export const SessionParamsSchema = z.discriminatedUnion('type', [RealtimeSessionSchema, TranscriptionSessionSchema]);
export type SessionParams = z.infer<typeof SessionParamsSchema>;

const ContentPartSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('input_text'), text: z.string() }),
  z.strictObject({ type: z.literal('input_audio'), audio: z.base64().optional(), transcript: z.string().nullish() }),
  z.strictObject({ type: z.literal('output_text'), text: z.string() }),
  z.strictObject({ type: z.literal('output_audio'), transcript: z.string().nullish(), audio: z.base64().optional() }),
]);
export type ContentPart = z.infer<typeof ContentPartSchema>;

/** Which content part types each role may carry (system: text; user: text or audio; assistant: output). */
const ALLOWED_PARTS: Record<'system' | 'user' | 'assistant', readonly ContentPart['type'][]> = {
  system: ['input_text'],
  user: ['input_text', 'input_audio'],
  assistant: ['output_text', 'output_audio'],
};

export const MessageItemSchema = z
  .strictObject({
    type: z.literal('message'),
    id: z.string().min(1).max(32).optional(),
    object: z.literal('realtime.item').optional(),
    status: z.enum(['completed', 'incomplete', 'in_progress']).optional(),
    role: z.enum(['system', 'user', 'assistant']),
    content: z.array(ContentPartSchema).min(1),
  })
  .superRefine((item, ctx) => {
    item.content.forEach((part, index) => {
      if (!ALLOWED_PARTS[item.role].includes(part.type)) {
        ctx.addIssue({ code: 'custom', message: `A ${item.role} message cannot have '${part.type}' content`, path: ['content', index, 'type'] });
      }
    });
  });
export type MessageItemParam = z.infer<typeof MessageItemSchema>;

const ItemReferenceSchema = z.strictObject({ type: z.literal('item_reference'), id: z.string().min(1) });
export type ItemReferenceParam = z.infer<typeof ItemReferenceSchema>;

const ResponseParamsSchema = z.strictObject({
  conversation: z.enum(['auto', 'none']).optional(),
  input: z.array(z.union([MessageItemSchema, ItemReferenceSchema])).optional(),
  instructions: z.string().optional(),
  metadata: z
    .record(z.string().max(64), z.string().max(512))
    .refine((m) => Object.keys(m).length <= 16, { message: 'At most 16 metadata keys' })
    .nullish(),
  output_modalities: ModalitiesSchema.optional(),
  audio: z.strictObject({ output: z.strictObject({ format: AudioFormatSchema.optional(), voice: VoiceSchema.optional() }).optional() }).optional(),
  max_output_tokens: MaxOutputTokensSchema.optional(),
  tools: Ignored,
  tool_choice: Ignored,
  prompt: Ignored,
  reasoning: Ignored,
  parallel_tool_calls: Ignored,
});
export type ResponseParams = z.infer<typeof ResponseParamsSchema>;

export const ClientEventSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('session.update'), event_id: EventId, session: SessionParamsSchema }),
  z.strictObject({ type: z.literal('input_audio_buffer.append'), event_id: EventId, audio: z.base64() }),
  z.strictObject({ type: z.literal('input_audio_buffer.commit'), event_id: EventId }),
  z.strictObject({ type: z.literal('input_audio_buffer.clear'), event_id: EventId }),
  z.strictObject({ type: z.literal('conversation.item.create'), event_id: EventId, item: MessageItemSchema, previous_item_id: z.string().min(1).optional() }),
  z.strictObject({ type: z.literal('conversation.item.retrieve'), event_id: EventId, item_id: z.string().min(1) }),
  z.strictObject({ type: z.literal('conversation.item.delete'), event_id: EventId, item_id: z.string().min(1) }),
  z.strictObject({
    type: z.literal('conversation.item.truncate'),
    event_id: EventId,
    item_id: z.string().min(1),
    content_index: z.number().int().min(0),
    audio_end_ms: z.number().int().min(0),
  }),
  z.strictObject({ type: z.literal('response.create'), event_id: EventId, response: ResponseParamsSchema.optional() }),
  z.strictObject({ type: z.literal('response.cancel'), event_id: EventId, response_id: z.string().min(1).optional() }),
]);
export type ClientEvent = z.infer<typeof ClientEventSchema>;
export type ClientEventType = ClientEvent['type'];
export type ClientEventOf<T extends ClientEventType> = Extract<ClientEvent, { type: T }>;

export const CLIENT_EVENT_TYPES: readonly ClientEventType[] = [
  'session.update',
  'input_audio_buffer.append',
  'input_audio_buffer.commit',
  'input_audio_buffer.clear',
  'conversation.item.create',
  'conversation.item.retrieve',
  'conversation.item.delete',
  'conversation.item.truncate',
  'response.create',
  'response.cancel',
];

export interface EventProblem {
  code: string;
  message: string;
  param: string | null;
  /** The client's event_id, when it could be read. */
  eventId: string | null;
  /** The event's type, when it was a string (for the event log). */
  type: string | null;
}

export type ParsedClientEvent = { ok: true; event: ClientEvent } | { ok: false; problem: EventProblem };

/** Parses one WebSocket text frame into a client event, or says what is wrong with it as the real API would. */
export function parseClientEvent(text: string): ParsedClientEvent {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return fail('invalid_json', "We could not parse the JSON body of your event (emulator).", null, null, null);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return fail('invalid_value', 'A client event must be a JSON object (emulator).', null, null, null);
  }
  const record = raw as Record<string, unknown>;
  const eventId = typeof record.event_id === 'string' ? record.event_id : null;
  const type = typeof record.type === 'string' ? record.type : null;
  if (type === null) return fail('missing_required_parameter', "Missing required parameter: 'type'.", 'type', eventId, null);
  if (!(CLIENT_EVENT_TYPES as readonly string[]).includes(type)) {
    return fail('invalid_value', `Invalid value: '${type}'. Supported values are: ${CLIENT_EVENT_TYPES.map((t) => `'${t}'`).join(', ')} (emulator).`, 'type', eventId, type);
  }
  const parsed = ClientEventSchema.safeParse(raw);
  if (parsed.success) return { ok: true, event: parsed.data };
  const issue = parsed.error.issues[0];
  const path = issue ? issue.path.map(String) : [];
  if (issue?.code === 'unrecognized_keys') {
    const param = [...path, issue.keys[0] ?? ''].filter((p) => p !== '').join('.');
    return fail('unknown_parameter', `Unknown parameter: '${param}' (emulator).`, param, eventId, type);
  }
  const param = path.join('.') || null;
  if (issue?.code === 'invalid_type' && issue.input === undefined) {
    return fail('missing_required_parameter', `Missing required parameter: '${param}' (emulator).`, param, eventId, type);
  }
  return fail('invalid_value', `Invalid value for '${param ?? 'event'}': ${issue?.message ?? 'invalid event'} (emulator).`, param, eventId, type);
}

function fail(code: string, message: string, param: string | null, eventId: string | null, type: string | null): ParsedClientEvent {
  return { ok: false, problem: { code, message, param, eventId, type } };
}
