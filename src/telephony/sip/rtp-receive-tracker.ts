/**
 * Incoming RTP order and loss (RFC 3550 A.1, simplified): counts packets missing by sequence
 * number, drops late and duplicate ones (a 20 ms frame that arrives after its successor is of no
 * use to a live pipeline), and follows an SSRC change (a new source after a re-INVITE or a
 * media server switch) without letting two interleaved sources thrash the counters.
 */
import { sequenceDelta } from './rtp-packet';

/** A jump this far ahead (60 s of 20 ms frames) is a restarted sender, not loss. */
const MAX_DROPOUT = 3000;
/** A packet this far behind is a restarted sender too, not a late packet. */
const MAX_MISORDER = 100;
/** A new SSRC takes over only once the current one has been quiet this long. */
const SSRC_TAKEOVER_MS = 60;

export interface RtpReceiveStats {
  received: number;
  lost: number;
  late: number;
  /** Packets of a second SSRC while the current one was still sending. */
  foreign: number;
  sourceChanges: number;
}

export class RtpReceiveTracker {
  private ssrc?: number;
  private expected = 0;
  private lastPacketAt = Number.NEGATIVE_INFINITY;
  /** Loss seen before packets the pipeline never gets (DTMF, comfort noise): told with the next audio. */
  private pendingMissing = 0;
  readonly stats: RtpReceiveStats = { received: 0, lost: 0, late: 0, foreign: 0, sourceChanges: 0 };

  /**
   * Registers a packet. Returns how many packets are missing right before it (for an audio
   * packet: pending loss included), or undefined when the packet must be dropped.
   */
  accept(ssrc: number, sequence: number, nowMs: number, isAudio: boolean): number | undefined {
    if (this.ssrc !== ssrc) {
      if (this.ssrc !== undefined && nowMs - this.lastPacketAt < SSRC_TAKEOVER_MS) {
        this.stats.foreign++;
        return undefined;
      }
      if (this.ssrc !== undefined) this.stats.sourceChanges++;
      this.ssrc = ssrc;
      this.restart(sequence);
      return this.deliver(0, nowMs, isAudio);
    }
    const delta = sequenceDelta(this.expected, sequence);
    if (delta < 0 && delta >= -MAX_MISORDER) {
      this.stats.late++;
      this.lastPacketAt = nowMs;
      return undefined;
    }
    if (delta > MAX_DROPOUT || delta < -MAX_MISORDER) {
      this.restart(sequence);
      return this.deliver(0, nowMs, isAudio);
    }
    this.expected = (sequence + 1) & 0xffff;
    this.stats.lost += delta;
    return this.deliver(delta, nowMs, isAudio);
  }

  private restart(sequence: number): void {
    this.expected = (sequence + 1) & 0xffff;
    this.pendingMissing = 0;
  }

  private deliver(missing: number, nowMs: number, isAudio: boolean): number | undefined {
    this.stats.received++;
    this.lastPacketAt = nowMs;
    if (!isAudio) {
      this.pendingMissing += missing;
      return undefined;
    }
    const total = this.pendingMissing + missing;
    this.pendingMissing = 0;
    return total;
  }
}
