/**
 * One call's RTP stream over UDP (RFC 3550): an even local port from the configured range, our
 * G.711 frames out with a constant random SSRC, the remote's audio in with loss counting.
 */
import { randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import { alawDecode, alawEncode, alawEncodeSample, mulawDecode, mulawEncode, mulawEncodeSample } from '../../audio/g711';
import type { SipLogger } from './logger';
import { decodeRtp, encodeRtp } from './rtp-packet';
import { type RtpReceiveStats, RtpReceiveTracker } from './rtp-receive-tracker';
import { RtpSilenceKeeper } from './rtp-silence-keeper';
import type { G711Codec } from './sdp';

export interface PortRange {
  min: number;
  max: number;
}

export interface RtpRemote {
  address: string;
  port: number;
  codec: G711Codec;
  payloadType: number;
  /** G.711 payload types the remote may send; the other law is transcoded to `codec`. */
  receivePayloadTypes: ReadonlyMap<number, G711Codec>;
  /** False for a held or recvonly stream: we keep receiving but send nothing. */
  send: boolean;
}

export type AudioHandler = (payload: Buffer, missingBefore: number) => void;

export interface RtpSendStats {
  sent: number;
  silence: number;
}

const SAMPLE_RATE = 8000;
const FRAME_MS = 20;
const FRAME_BYTES = (SAMPLE_RATE * FRAME_MS) / 1000;

/** Binds an even port in the range, starting at a random one so concurrent calls rarely probe the same ports. */
export async function bindRtpSocket(address: string, range: PortRange): Promise<dgram.Socket> {
  const first = range.min + (range.min % 2);
  const count = Math.floor((range.max - first) / 2) + 1;
  if (count <= 0) throw new Error(`RTP port range ${range.min}-${range.max} holds no even port`);
  const start = randomInt(count);
  for (let i = 0; i < count; i++) {
    const port = first + ((start + i) % count) * 2;
    const socket = dgram.createSocket(isIP(address) === 6 ? 'udp6' : 'udp4');
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(port, address, () => {
          socket.off('error', reject);
          resolve();
        });
      });
      return socket;
    } catch (err) {
      socket.close();
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' && (err as NodeJS.ErrnoException).code !== 'EACCES') throw err;
    }
  }
  throw new Error(`no free RTP port in ${range.min}-${range.max}`);
}

export class RtpSession {
  readonly ssrc = randomInt(0x1_0000_0000);
  private sequence = randomInt(0x1_0000);
  private timestamp = randomInt(0x1_0000_0000);
  private marker = true;
  private lastSentAt?: number;
  private lastDurationMs = FRAME_MS;
  private lastWasSilence = false;
  private remote?: RtpRemote;
  private silenceFrame?: Buffer;
  private readonly tracker = new RtpReceiveTracker();
  private readonly audioHandlers = new Set<AudioHandler>();
  private readonly keeper: RtpSilenceKeeper;
  private readonly sendStats: RtpSendStats = { sent: 0, silence: 0 };
  private looped = 0;
  private closed = false;

  constructor(
    private readonly socket: dgram.Socket,
    private readonly logger: SipLogger,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.keeper = new RtpSilenceKeeper({ sendSilence: () => this.sendSilence(), now: this.now });
    socket.on('message', (data) => this.receive(data));
    socket.on('error', (err) => logger.warn({ err }, 'rtp socket error'));
  }

  static async open(address: string, range: PortRange, logger: SipLogger): Promise<RtpSession> {
    return new RtpSession(await bindRtpSocket(address, range), logger);
  }

  get localPort(): number {
    return this.socket.address().port;
  }

  /** Sets (or, after a re-INVITE, changes) where and how we send, and what we accept. */
  setRemote(remote: RtpRemote): void {
    this.remote = remote;
    this.silenceFrame = Buffer.alloc(FRAME_BYTES, remote.codec === 'PCMU' ? mulawEncodeSample(0) : alawEncodeSample(0));
  }

  onAudio(handler: AudioHandler): () => void {
    this.audioHandlers.add(handler);
    return () => this.audioHandlers.delete(handler);
  }

  /** One frame of real audio in the negotiated codec, sent at once (the caller paces). */
  sendFrame(payload: Buffer): boolean {
    const sent = this.sendPacket(payload, false);
    if (sent) this.keeper.noteAudioSent();
    return sent;
  }

  /** Starts sending silence in every 20 ms slot that carries no real frame. */
  startSilenceKeeper(): void {
    if (!this.closed) this.keeper.start();
  }

  stopSilenceKeeper(): void {
    this.keeper.stop();
  }

  stats(): { send: RtpSendStats; receive: RtpReceiveStats; looped: number } {
    return { send: { ...this.sendStats }, receive: { ...this.tracker.stats }, looped: this.looped };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.keeper.stop();
    this.audioHandlers.clear();
    this.socket.close();
  }

  private sendSilence(): void {
    if (this.silenceFrame && this.sendPacket(this.silenceFrame, true)) this.sendStats.silence++;
  }

  private sendPacket(payload: Buffer, silence: boolean): boolean {
    const remote = this.remote;
    if (this.closed || !remote || !remote.send) return false;
    const now = this.now();
    if (this.lastSentAt !== undefined) {
      // After a pause the timestamp jumps by the time that passed (RFC 3550 5.1: it tracks the
      // sampling clock), and the marker tells the receiver a new talkspurt starts.
      const gapMs = now - (this.lastSentAt + this.lastDurationMs);
      if (gapMs > 1.5 * FRAME_MS) {
        this.timestamp += Math.round(gapMs / FRAME_MS) * FRAME_BYTES;
        this.marker = true;
      }
    }
    if (!silence && this.lastWasSilence) this.marker = true;
    const packet = encodeRtp({
      payloadType: remote.payloadType,
      sequence: this.sequence,
      timestamp: this.timestamp,
      ssrc: this.ssrc,
      marker: this.marker,
      payload,
    });
    this.socket.send(packet, remote.port, remote.address, (err) => {
      if (err && !this.closed) this.logger.debug({ err }, 'rtp send failed');
    });
    this.sequence = (this.sequence + 1) & 0xffff;
    this.timestamp = (this.timestamp + payload.length) >>> 0; // G.711: one byte per sample
    this.marker = false;
    this.lastSentAt = now;
    this.lastDurationMs = (payload.length * 1000) / SAMPLE_RATE;
    this.lastWasSilence = silence;
    this.sendStats.sent++;
    return true;
  }

  private receive(data: Buffer): void {
    const packet = decodeRtp(data);
    const remote = this.remote;
    if (!packet || !remote || this.closed) return;
    if (packet.ssrc === this.ssrc) {
      this.looped++; // our own stream coming back (a loop or an echo test): never the callee's audio
      return;
    }
    const codec = remote.receivePayloadTypes.get(packet.payloadType);
    const missing = this.tracker.accept(packet.ssrc, packet.sequence, this.now(), codec !== undefined);
    if (missing === undefined || codec === undefined) return;
    const payload = codec === remote.codec ? packet.payload : transcode(packet.payload, codec);
    for (const handler of this.audioHandlers) {
      try {
        handler(payload, missing);
      } catch (err) {
        this.logger.error({ err }, 'audio handler threw');
      }
    }
  }
}

/** The remote may switch between the answer's G.711 laws; hand the pipeline the negotiated one. */
function transcode(payload: Buffer, from: G711Codec): Buffer {
  return from === 'PCMA' ? mulawEncode(alawDecode(payload)) : alawEncode(mulawDecode(payload));
}
