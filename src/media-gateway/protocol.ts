import type { RawData } from 'ws';

/**
 * The gateway's internal media protocol. Each provider speaks its own wire protocol on
 * `/telephony/audio/{call_id}`; a codec (`./codecs`) translates it at the edge into these frames and
 * back, so the gateway and its sessions never look at a provider's message shapes.
 */

/** The stream's audio format as the provider named it (PCM16, ULAW, audio/x-mulaw …); the audio pipeline normalises it. */
export interface DeclaredMediaFormat {
  encoding: string;
  sampleRate: number;
}

/** What a provider's message means, whatever the provider. */
export type InboundFrame =
  /** The stream begins: audio may flow both ways from now on. */
  | { kind: 'start'; format: DeclaredMediaFormat; customParameters: Record<string, unknown> }
  /** One chunk of callee audio, encoded as declared; `chunk` counts chunks where the provider numbers them. */
  | { kind: 'audio'; payload: Buffer; chunk?: number }
  /** The provider ends the stream. */
  | { kind: 'stop' }
  /** A played-out marker we asked for, echoed back. */
  | { kind: 'mark'; name: string };

/** A provider extension we do not use: skipped, not fatal. */
export interface IgnoredMessage {
  kind: 'ignored';
  what: string;
}

/** A message that breaks the provider's protocol: the connection is closed with `close` (a `CLOSE` code). */
export interface MalformedMessage {
  kind: 'error';
  close: number;
  reason: string;
}

export type DecodeResult = InboundFrame | IgnoredMessage | MalformedMessage;

/** One WebSocket message to send: a string goes as a text frame, a Buffer as a binary frame. */
export type WireMessage = string | Buffer;

/** Encodes what we send on one connection (it keeps that connection's counters: sequence numbers, chunks, timestamps). */
export interface MediaEncoder {
  /** Our own stream start, sent before the first audio; null when the protocol has none. */
  start(format: DeclaredMediaFormat): WireMessage | null;
  /** One encoded audio chunk in the call's format, `samples` long. */
  audio(payload: Buffer, samples: number): WireMessage;
  /** Asks the provider to drop the audio it still has queued (barge-in); null when the protocol cannot. */
  clear(): WireMessage | null;
}

/** One provider's media wire protocol (pipecat calls these serializers). */
export interface MediaCodec {
  /** The `dialect` query parameter that selects it. */
  readonly name: string;
  /** Stateless: one WebSocket message -> what it means. Never throws on client input. */
  decode(data: RawData, isBinary: boolean): DecodeResult;
  /** A fresh encoder for one connection. */
  encoder(): MediaEncoder;
}

/** WebSocket close codes we use. */
export const CLOSE = {
  normal: 1000,
  protocolError: 1002,
  unsupportedData: 1003,
  invalidPayload: 1007,
  policyViolation: 1008,
  tooBig: 1009,
} as const;

/** A WebSocket message's bytes, however `ws` delivered them. */
export function rawBytes(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
