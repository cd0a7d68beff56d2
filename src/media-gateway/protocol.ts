import { z } from 'zod';

/**
 * The media WebSocket protocol (`/telephony/audio/{call_id}`), modelled on Voximplant's and Twilio's
 * media streams: JSON text frames `start` / `media` / `stop` with base64 payloads, or, after
 * `start`, binary frames carrying one audio chunk each in the declared format.
 */
export const InboundStartSchema = z.object({
  event: z.literal('start'),
  sequenceNumber: z.number().int().nonnegative().optional(),
  start: z.object({
    mediaFormat: z.object({
      encoding: z.string().min(1).max(40),
      sampleRate: z.number().int().positive(),
    }),
    /** Voximplant sends a JSON *string* here; others an object. */
    customParameters: z.union([z.string().max(4000), z.record(z.string(), z.unknown())]).optional(),
  }),
});

export const InboundMediaSchema = z.object({
  event: z.literal('media'),
  sequenceNumber: z.number().int().nonnegative().optional(),
  media: z.object({
    /** Increments by one per chunk; a jump means chunks were lost. */
    chunk: z.number().int().nonnegative().optional(),
    timestamp: z.union([z.number(), z.string()]).optional(),
    payload: z.string().max(64_000).regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64'),
  }),
});

export const InboundStopSchema = z.object({
  event: z.literal('stop'),
  sequenceNumber: z.number().int().nonnegative().optional(),
  stop: z.unknown().optional(),
});

/** A played-out marker we asked for, echoed back by the provider. */
export const InboundMarkSchema = z.object({
  event: z.literal('mark'),
  mark: z.object({ name: z.string().max(200) }),
});

export const InboundMessageSchema = z.discriminatedUnion('event', [InboundStartSchema, InboundMediaSchema, InboundStopSchema, InboundMarkSchema]);
export type InboundMessage = z.infer<typeof InboundMessageSchema>;

/** What we send: our own `start`, `media` chunks, `clear` (drop queued audio: barge-in). */
export type OutboundMessage =
  | { event: 'start'; sequenceNumber: number; start: { mediaFormat: { encoding: string; sampleRate: number } } }
  | { event: 'media'; sequenceNumber: number; media: { chunk: number; timestamp: number; payload: string } }
  | { event: 'clear'; sequenceNumber: number }
  /** Voximplant dialect: our commands to the VoxEngine scenario. */
  | { customEvent: 'clear' | 'hangup' };

/** WebSocket close codes we use. */
export const CLOSE = {
  normal: 1000,
  protocolError: 1002,
  unsupportedData: 1003,
  invalidPayload: 1007,
  policyViolation: 1008,
  tooBig: 1009,
} as const;
