import { z } from 'zod';
import type { TelephonyEventType, UnifiedTelephonyEvent } from '../unified-event';

/**
 * What our VoxEngine scenario (`scenario/voice-caller-outbound.voxengine.js`) posts to
 * `POST /telephony/events/voximplant`: the VoxEngine call event by its own name, with the SIP code
 * and reason of `CallEvents.Failed`, and a per-session counter for de-duplication.
 */
export const VoximplantWebhookSchema = z.object({
  call_id: z.uuid(),
  event: z.enum(['Ringing', 'Connected', 'Disconnected', 'Failed', 'RingTimeout', 'ScenarioError']),
  code: z.coerce.number().int().optional(),
  reason: z.string().max(500).optional(),
  timestamp: z.iso.datetime({ offset: true }).optional(),
  seq: z.number().int().nonnegative().optional(),
});
export type VoximplantWebhook = z.infer<typeof VoximplantWebhookSchema>;

/** SIP codes of `CallEvents.Failed` that mean the callee is busy or declined. */
const BUSY_CODES = new Set([486, 600, 603]);
/** ... that mean nobody picked up (temporarily unavailable, timeout, cancelled). */
const NO_ANSWER_CODES = new Set([408, 480, 487]);

/** Voximplant's view of a call -> the unified event (spec 4.2). */
export function translateVoximplantWebhook(body: VoximplantWebhook, now: () => Date = () => new Date()): UnifiedTelephonyEvent {
  let event: TelephonyEventType;
  let reason: string | null = null;
  switch (body.event) {
    case 'Ringing':
      event = 'ringing';
      break;
    case 'Connected':
      event = 'answered';
      break;
    case 'Disconnected':
      event = 'hangup';
      reason = body.reason ?? null;
      break;
    case 'RingTimeout':
      event = 'no_answer';
      reason = 'ring timeout (scenario)';
      break;
    case 'Failed': {
      const code = body.code ?? 0;
      event = BUSY_CODES.has(code) ? 'busy' : NO_ANSWER_CODES.has(code) ? 'no_answer' : 'error';
      reason = `voximplant ${code || 'unknown code'}${body.reason ? ` ${body.reason}` : ''}`;
      break;
    }
    case 'ScenarioError':
      event = 'error';
      reason = `voximplant scenario: ${body.reason ?? 'error'}`;
      break;
  }
  return {
    call_id: body.call_id,
    event,
    timestamp: body.timestamp ?? now().toISOString(),
    reason,
    ...(body.seq !== undefined ? { event_id: `vox-${body.call_id}-${body.seq}` } : {}),
  };
}
