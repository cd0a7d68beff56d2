import type WebSocket from 'ws';
import type { Logger } from '../logging/logger';
import type { OutboundMessage } from './protocol';

export interface DeclaredMediaFormat {
  /** As the provider named it (PCM16, ULAW, audio/x-mulaw …); the audio pipeline normalises it. */
  encoding: string;
  sampleRate: number;
}

/**
 * Provider flavours of the media protocol. `standard`: our own `clear` event (Twilio style);
 * `voximplant`: VoxEngine takes only start/media/stop as events, our commands go as `customEvent`
 * and the scenario acts on them (`clear` -> `clearMediaBuffer()`).
 */
export type MediaDialect = 'standard' | 'voximplant';

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

/** One provider connection streaming one call's audio both ways. */
export class MediaSession implements MediaLeg {
  format: DeclaredMediaFormat | null = null;
  customParameters: unknown = undefined;
  readonly stats = { framesIn: 0, bytesIn: 0, lostFrames: 0, framesOut: 0, clears: 0 };
  private lastChunk: number | null = null;
  private outSequence = 0;
  private outChunk = 0;
  private outSamples = 0;
  private startedOutbound = false;

  constructor(
    readonly callId: string,
    private readonly socket: WebSocket,
    readonly logger: Logger,
    readonly dialect: MediaDialect = 'standard',
  ) {}

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

  /** Sends one encoded audio chunk in the call's format (our `start` first, then counted `media`). */
  sendAudio(payload: Buffer, samples: number): void {
    if (!this.open || !this.format) return;
    if (!this.startedOutbound) {
      this.startedOutbound = true;
      this.send({ event: 'start', sequenceNumber: this.outSequence++, start: { mediaFormat: { ...this.format } } });
    }
    this.send({
      event: 'media',
      sequenceNumber: this.outSequence++,
      media: { chunk: ++this.outChunk, timestamp: this.outSamples, payload: payload.toString('base64') },
    });
    this.outSamples += samples;
    this.stats.framesOut += 1;
  }

  /** Asks the provider to drop audio it still has queued (barge-in). */
  clear(): void {
    this.stats.clears += 1;
    if (this.dialect === 'voximplant') this.send({ customEvent: 'clear' });
    else this.send({ event: 'clear', sequenceNumber: this.outSequence++ });
  }

  close(code: number, reason: string): void {
    if (this.socket.readyState === this.socket.OPEN || this.socket.readyState === this.socket.CONNECTING) this.socket.close(code, reason.slice(0, 120));
  }

  private send(message: OutboundMessage): void {
    if (this.open) this.socket.send(JSON.stringify(message));
  }
}
