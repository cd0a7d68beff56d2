import { z } from 'zod';

/** Spec 2.2: the life cycle of one outbound call. */
export const CALL_STATUSES = ['created', 'dialing', 'no_answer', 'in_progress', 'completed', 'failed'] as const;
export const CallStatusSchema = z.enum(CALL_STATUSES);
export type CallStatus = z.infer<typeof CallStatusSchema>;

/** Spec 2.2 / 6.2: the outcome of the conversation; `unknown` when there was none or it could not be classified. */
export const DISPOSITIONS = ['interested', 'not_interested', 'call_later', 'neutral', 'unknown'] as const;
export const DispositionSchema = z.enum(DISPOSITIONS);
export type Disposition = z.infer<typeof DispositionSchema>;

export const DialogTurnSchema = z.object({
  speaker: z.enum(['user', 'assistant']),
  text: z.string(),
  timestamp: z.string().describe('ISO 8601, UTC'),
  /** Set on an assistant turn the callee talked over (barge-in) or that was cut by a hang-up. */
  interrupted: z.boolean().optional(),
});
export type DialogTurn = z.infer<typeof DialogTurnSchema>;

/** Latency of one voice turn (spec 8.1), from the callee's phrase to the operator's answer on the line. */
export const TurnMetricsSchema = z.object({
  /** 1-based index of the callee's turn. */
  turn: z.number().int(),
  /** When the callee stopped speaking (ISO), as the media gateway heard it. */
  speech_ended_at: z.string().nullable().optional(),
  stt_ms: z.number().nullable(),
  llm_ms: z.number().nullable(),
  tts_first_byte_ms: z.number().nullable(),
  /** End of the callee's speech -> first frame of the reply on the line (includes the endpointing silence). */
  voice_to_voice_ms: z.number().nullable(),
  /** The silence waited before the phrase was handed on (the early pause when preemptive replies are on). */
  endpointing_ms: z.number().nullable().optional(),
  /** Phrase handed on by the gateway -> the turn's activity running (audio store, signal, workflow task, dispatch). */
  dispatch_ms: z.number().nullable().optional(),
  /** Temporal's schedule-to-start of the turn's activity. */
  schedule_to_start_ms: z.number().nullable().optional(),
  /**
   * Pieces of the reply that a model reading aloud said with other words than written (the
   * transcript holds what was said). Absent when the voice reads verbatim.
   */
  read_back_mismatches: z
    .array(z.object({ written: z.string(), said: z.string() }))
    .optional(),
});
export type TurnMetrics = z.infer<typeof TurnMetricsSchema>;

export const CallSessionSchema = z.object({
  id: z.uuid(),
  phone: z.string(),
  status: CallStatusSchema,
  final_disposition: DispositionSchema,
  created_at: z.string(),
  started_at: z.string().nullable().describe('When the callee answered'),
  ended_at: z.string().nullable(),
  duration_sec: z.number().int().nullable().describe('Seconds from answer to end; 0 when not answered'),
  transcript: z.array(DialogTurnSchema),
  short_summary: z.string().nullable(),
  /** Why the call ended (hangup, goodbye, time_limit, turn_limit, busy, ring_timeout, error: ...). */
  end_reason: z.string().nullable(),
  /** Set when the call waits for a free line (max concurrent calls reached). */
  queued: z.boolean(),
  /** Voice calls: the media gateway that carried the call (MEDIA_GATEWAY_ID or its host name). */
  media_gateway: z.string().nullable().optional(),
  /** Voice calls: answer -> greeting on the line. */
  greeting_ms: z.number().nullable().optional(),
  /** Voice calls: per-turn latencies. */
  turn_metrics: z.array(TurnMetricsSchema).optional(),
});
export type CallSession = z.infer<typeof CallSessionSchema>;
