import { z } from 'zod';
import { CallSessionSchema } from '../domain/call-session';
import { RUSSIAN_PHONE_PATTERN } from '../domain/phone';
import { UnifiedTelephonyEventSchema } from '../telephony/unified-event';

/** The HTTP contract; the OpenAPI document is generated from these same schemas. */
export const CreateCallRequestSchema = z
  .object({
    phone: z.string().regex(RUSSIAN_PHONE_PATTERN).describe('+7XXXXXXXXXX or 8XXXXXXXXXX'),
  })
  .describe('Extra fields are ignored.');

export const CreateCallResponseSchema = z.object({
  call_id: z.uuid(),
  status: z.literal('created'),
});

export const ErrorResponseSchema = z.object({
  error: z.object({
    code: z.string().describe('Stable machine-readable code, e.g. invalid_phone'),
    message: z.string(),
    details: z.unknown().optional(),
  }),
});

export const TelephonyEventRequestSchema = UnifiedTelephonyEventSchema;
export const TelephonyEventResponseSchema = z.object({
  accepted: z.boolean(),
  note: z.string().optional(),
});

export const CallSessionResponseSchema = CallSessionSchema;

export const IdempotencyKeySchema = z.string().min(1).max(255).regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');
