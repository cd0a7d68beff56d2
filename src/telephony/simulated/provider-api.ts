import { z } from 'zod';
import { CalleeBehaviourSchema } from './callee-behaviours';

/**
 * The HTTP API of the simulated provider when it runs as a process of its own (provider-server.ts),
 * shaped like a real provider's call-control API: dial, hang up, and a call's record.
 */
export const DialRequestSchema = z
  .object({
    call_id: z.uuid(),
    phone: z.string().regex(/^\+7\d{10}$/),
    ring_timeout_sec: z.number().int().min(1).max(600),
    /** Our webhook for this call's progress events. */
    events_url: z.url(),
    /** The gateway's media WebSocket for this call, token included. */
    media_url: z.url(),
  })
  .strict();
export type DialRequest = z.infer<typeof DialRequestSchema>;

export const HangUpRequestSchema = z.object({ reason: z.string().max(500) }).strict();

/** What the callee's ear measured (see CalleeEarReport). */
export const CalleeEarSchema = z.object({
  replies: z.array(z.object({ speechEndedAtMs: z.number(), replyHeardAtMs: z.number() })),
  arrivalJitterMs: z.array(z.number().int()),
  audibleGaps: z.number().int(),
  framesHeard: z.number().int(),
});

export const SimulatedCallRecordSchema = z.object({
  call_id: z.uuid(),
  behaviour: CalleeBehaviourSchema,
  said: z.array(z.string()),
  ended: z.boolean(),
  ear: CalleeEarSchema.nullable(),
  /** `hangs_up_mid_reply`: when its hang-up event went out, and the last operator speech its ear heard (epoch ms). */
  hangup: z.object({ reported_at_ms: z.number(), last_voiced_at_ms: z.number().nullable() }).nullable().optional(),
});
export type SimulatedCallRecord = z.infer<typeof SimulatedCallRecordSchema>;

export const ProviderErrorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
