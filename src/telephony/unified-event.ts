import { z } from 'zod';

/** Spec 4.2: the provider-neutral event every adapter translates its callbacks into. */
export const TELEPHONY_EVENT_TYPES = ['ringing', 'answered', 'hangup', 'busy', 'no_answer', 'error'] as const;
export type TelephonyEventType = (typeof TELEPHONY_EVENT_TYPES)[number];

export const UnifiedTelephonyEventSchema = z
  .object({
    call_id: z.uuid(),
    event: z.enum(TELEPHONY_EVENT_TYPES),
    timestamp: z.iso.datetime({ offset: true }),
    reason: z.string().max(500).nullable().default(null),
    /** Provider's id for this event, used to drop redelivered duplicates. */
    event_id: z.string().min(1).max(200).optional(),
  })
  .strict();
export type UnifiedTelephonyEvent = z.infer<typeof UnifiedTelephonyEventSchema>;
