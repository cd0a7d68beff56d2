import { z } from 'zod';
import type { RawData } from 'ws';
import { CLOSE, rawBytes, type DeclaredMediaFormat, type DecodeResult, type MediaEncoder } from '../protocol';

/**
 * The JSON media-stream messages Voximplant's and Twilio's protocols share (and ours follows):
 * text frames `start` / `media` / `stop` with base64 payloads, counted by `sequenceNumber` and
 * `media.chunk`. The provider codecs differ in what else they accept and in how our commands go out.
 */
const StartSchema = z.object({
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

const MediaSchema = z.object({
  event: z.literal('media'),
  sequenceNumber: z.number().int().nonnegative().optional(),
  media: z.object({
    /** Increments by one per chunk; a jump means chunks were lost. */
    chunk: z.number().int().nonnegative().optional(),
    timestamp: z.union([z.number(), z.string()]).optional(),
    payload: z.string().max(64_000).regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64'),
  }),
});

const StopSchema = z.object({
  event: z.literal('stop'),
  sequenceNumber: z.number().int().nonnegative().optional(),
  stop: z.unknown().optional(),
});

/** A played-out marker we asked for, echoed back by the provider (Twilio). */
const MarkSchema = z.object({
  event: z.literal('mark'),
  sequenceNumber: z.number().int().nonnegative().optional(),
  mark: z.object({ name: z.string().max(200) }),
});

export const JsonMediaMessageSchema = z.discriminatedUnion('event', [StartSchema, MediaSchema, StopSchema, MarkSchema]);
export type JsonMediaMessage = z.infer<typeof JsonMediaMessageSchema>;

export interface JsonMediaDialect {
  /** `event` values of provider extensions we do not use: ignored, not fatal. */
  ignoredEvents: ReadonlySet<string>;
}

/** Decodes one message of a JSON media-stream dialect; a binary frame is one audio chunk in the declared format. */
export function decodeJsonMedia(data: RawData, isBinary: boolean, dialect: JsonMediaDialect): DecodeResult {
  if (isBinary) return { kind: 'audio', payload: rawBytes(data) };
  let json: unknown;
  try {
    json = JSON.parse(rawBytes(data).toString('utf8'));
  } catch {
    return { kind: 'error', close: CLOSE.invalidPayload, reason: 'not JSON' };
  }
  const parsed = JsonMediaMessageSchema.safeParse(json);
  if (!parsed.success) {
    const event = (json as { event?: unknown } | null)?.event;
    if (typeof event === 'string' && dialect.ignoredEvents.has(event)) return { kind: 'ignored', what: event };
    return { kind: 'error', close: CLOSE.invalidPayload, reason: `invalid message: ${parsed.error.issues[0]?.message ?? 'unknown'}` };
  }
  const message = parsed.data;
  if (dialect.ignoredEvents.has(message.event)) return { kind: 'ignored', what: message.event };
  switch (message.event) {
    case 'start':
      return {
        kind: 'start',
        format: { encoding: message.start.mediaFormat.encoding, sampleRate: message.start.mediaFormat.sampleRate },
        customParameters: customParameters(message.start.customParameters),
      };
    case 'media':
      return {
        kind: 'audio',
        payload: Buffer.from(message.media.payload, 'base64'),
        ...(message.media.chunk !== undefined ? { chunk: message.media.chunk } : {}),
      };
    case 'stop':
      return { kind: 'stop' };
    case 'mark':
      return { kind: 'mark', name: message.mark.name };
  }
}

/** An object as is; a JSON string holding an object parsed; anything else (empty, not an object) as none. */
function customParameters(value: string | Record<string, unknown> | undefined): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== 'string') return value;
  try {
    const parsed: unknown = JSON.parse(value);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Our outbound JSON stream: `start`, then `media` chunks counted from 1 with a sample-clock timestamp. */
export abstract class JsonMediaEncoder implements MediaEncoder {
  protected sequence = 0;
  private chunk = 0;
  private samples = 0;

  start(format: DeclaredMediaFormat): string {
    return JSON.stringify({ event: 'start', sequenceNumber: this.sequence++, start: { mediaFormat: { encoding: format.encoding, sampleRate: format.sampleRate } } });
  }

  audio(payload: Buffer, samples: number): string {
    const message = {
      event: 'media',
      sequenceNumber: this.sequence++,
      media: { chunk: ++this.chunk, timestamp: this.samples, payload: payload.toString('base64') },
    };
    this.samples += samples;
    return JSON.stringify(message);
  }

  abstract clear(): string | null;
}
