import type WebSocket from 'ws';
import type { Logger } from '../logging/logger';
import type { DeclaredMediaFormat, MediaCodec, MediaEncoder, WireMessage } from './protocol';

export type { DeclaredMediaFormat } from './protocol';

/**
 * One call's audio leg as the audio pipeline sees it, whatever carries it: a provider's media
 * WebSocket (`MediaSession`) or RTP of a SIP call (`SipMediaLeg`).
 */
export interface MediaLeg {
  readonly callId: string;
  /** As the provider named it (PCM16, ULAW, PCMU …); null until the stream declared it. */
  format: DeclaredMediaFormat | null;
  readonly logger: Logger;
  readonly open: boolean;
  /** One encoded 20 ms frame in the call's format (the pipeline paces them). */
  sendAudio(payload: Buffer, samples: number): void;
  /** Drop audio the provider still has queued (barge-in). */
  clear(): void;
  close(code: number, reason: string): void;
}

/**
 * One provider connection streaming one call's audio both ways. What goes on the wire is the
 * connection's codec's business (`./codecs`); the session keeps the call's state and counters.
 */
export class MediaSession implements MediaLeg {
  format: DeclaredMediaFormat | null = null;
  customParameters: Record<string, unknown> = {};
  readonly stats = { framesIn: 0, bytesIn: 0, lostFrames: 0, framesOut: 0, clears: 0 };
  private lastChunk: number | null = null;
  private readonly encoder: MediaEncoder;
  private startedOutbound = false;

  constructor(
    readonly callId: string,
    private readonly socket: WebSocket,
    readonly logger: Logger,
    readonly codec: MediaCodec,
  ) {
    this.encoder = codec.encoder();
  }

  /** The provider protocol this connection speaks. */
  get dialect(): string {
    return this.codec.name;
  }

  get open(): boolean {
    return this.socket.readyState === this.socket.OPEN;
  }

  /** Counts chunks missing between the last one and this one (providers may drop frames). */
  noteInboundChunk(chunk: number | undefined, bytes: number): number {
    this.stats.framesIn += 1;
    this.stats.bytesIn += bytes;
    let missing = 0;
    if (chunk !== undefined) {
      if (this.lastChunk !== null && chunk > this.lastChunk + 1) missing = chunk - this.lastChunk - 1;
      this.lastChunk = Math.max(chunk, this.lastChunk ?? chunk);
    }
    this.stats.lostFrames += missing;
    return missing;
  }

  /** Sends one encoded audio chunk in the call's format (the protocol's own start first, if it has one). */
  sendAudio(payload: Buffer, samples: number): void {
    if (!this.open || !this.format) return;
    if (!this.startedOutbound) {
      this.startedOutbound = true;
      this.send(this.encoder.start(this.format));
    }
    this.send(this.encoder.audio(payload, samples));
    this.stats.framesOut += 1;
  }

  /** Asks the provider to drop audio it still has queued (barge-in). */
  clear(): void {
    this.stats.clears += 1;
    if (this.open) this.send(this.encoder.clear());
  }

  close(code: number, reason: string): void {
    if (this.socket.readyState === this.socket.OPEN || this.socket.readyState === this.socket.CONNECTING) this.socket.close(code, reason.slice(0, 120));
  }

  private send(message: WireMessage | null): void {
    if (message !== null && this.open) this.socket.send(message);
  }
}
