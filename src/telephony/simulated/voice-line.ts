import WebSocket from 'ws';
import type { MediaFormat } from '../../audio';
import type { Logger } from '../../logging/logger';
import { CalleeVoice, type CalleeEarReport } from './callee-voice';

export interface VoiceLineOptions {
  callId: string;
  /** The gateway's media WebSocket URL for this call, token included. */
  mediaUrl: string;
  /** Wire format the simulated provider declares, e.g. {encoding: 'mulaw', sampleRate: 8000}. */
  format: MediaFormat;
  /** Name sent in `start` (providers use their own names: ULAW, PCMU, PCM16 …). */
  wireEncoding: string;
  logger: Logger;
  /** The operator finished a phrase (the callee's own ear: silence after speech). */
  onOperatorPhraseEnd(): void;
  /** The operator started talking. */
  onOperatorSpeechStart?(): void;
}

/**
 * The virtual callee's phone line: a WebSocket media stream to our gateway, exactly as a provider
 * opens it, with continuous 20 ms frames (silence or the callee's voice) in real time, and the
 * callee's ear on what comes back.
 */
export class VoiceLine {
  private socket: WebSocket | null = null;
  private readonly voice: CalleeVoice;
  private timer: NodeJS.Timeout | null = null;
  private frameIndex = 0;
  private t0 = 0;
  private chunk = 0;
  /** Number of `clear` commands received (barge-in). */
  clears = 0;
  closed = false;

  constructor(private readonly options: VoiceLineOptions) {
    this.voice = new CalleeVoice(options);
  }

  /** Decoded operator audio as heard on the line (call rate). */
  get heard(): Int16Array[] {
    return this.voice.heard;
  }

  async open(): Promise<void> {
    const { callId, mediaUrl } = this.options;
    const socket = new WebSocket(mediaUrl);
    this.socket = socket;
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    socket.on('message', (data, isBinary) => {
      if (!isBinary) this.onMessage(data.toString());
    });
    socket.on('close', () => this.stop());
    socket.send(JSON.stringify({ event: 'start', sequenceNumber: 0, start: { mediaFormat: { encoding: this.options.wireEncoding, sampleRate: this.options.format.sampleRate }, customParameters: JSON.stringify({ call_id: callId }) } }));
    this.t0 = performance.now();
    this.tick();
  }

  /** Queues a phrase; it goes out in real time after what is already queued. */
  say(text: string): Promise<number> {
    return this.voice.say(text);
  }

  get speaking(): boolean {
    return this.voice.speaking;
  }

  /** Epoch ms of the last operator frame heard as speech. */
  get lastVoicedAtMs(): number | null {
    return this.voice.lastVoicedAtMs;
  }

  earReport(): CalleeEarReport {
    return this.voice.earReport();
  }

  stop(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify({ event: 'stop', sequenceNumber: this.chunk + 1, stop: {} }));
      this.socket.close(1000, 'hangup');
    }
  }

  /** Drift-free: frame n leaves at t0 + 20 n ms, whatever the timer jitter. */
  private tick = () => {
    if (this.closed || !this.socket || this.socket.readyState !== WebSocket.OPEN) return;
    const due = Math.floor((performance.now() - this.t0) / 20);
    while (this.frameIndex <= due) {
      const frame = this.voice.nextFrame();
      this.chunk += 1;
      this.socket.send(JSON.stringify({ event: 'media', sequenceNumber: this.chunk, media: { chunk: this.chunk, timestamp: this.frameIndex * 20, payload: frame.toString('base64') } }));
      this.frameIndex += 1;
    }
    this.timer = setTimeout(this.tick, Math.max(1, this.t0 + this.frameIndex * 20 - performance.now()));
  };

  private onMessage(text: string): void {
    let message: { event?: string; media?: { payload?: string } };
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      return;
    }
    if (message.event === 'clear') {
      this.clears += 1;
      return;
    }
    if (message.event !== 'media' || !message.media?.payload) return;
    this.voice.hear(Buffer.from(message.media.payload, 'base64'));
  }
}
