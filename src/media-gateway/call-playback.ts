import {
  createFrameChunker,
  createFramePacer,
  createResampler,
  encodeFrame,
  frameSamples,
  pcm16FromBuffer,
  pcm16ToBuffer,
  type FramePacer,
  type MediaFormat,
} from '../audio';
import { metrics } from '../metrics/metrics';
import type { MediaLeg } from './media-session';

export interface PlaybackResult {
  /** Audio actually sent to the line. */
  playedMs: number;
  /** The callee talked over it (barge-in) or the call ended: the rest was dropped. */
  interrupted: boolean;
  /** performance.now() of the first frame on the line, null if none went out. */
  firstFrameAt: number | null;
}

/**
 * Puts assistant audio on one call's line: resample (anti-aliased) to the call's rate, cut into
 * 20 ms frames, encode (G.711 where the call uses it) and pace in real time. Audio is played as
 * it arrives, so the first frame leaves before synthesis ends. `bargeIn()` drops what is queued.
 */
export class CallPlayback {
  private readonly pacer: FramePacer;
  private readonly samplesPerFrame: number;
  private framesSent = 0;
  private current: { interrupted: boolean; firstFrameAt: number | null; framesAtStart: number; onInterrupt?: () => void } | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  /** Counts barge-ins: a play queued before the latest one is stale (the callee spoke since). */
  private bargeIns = 0;

  constructor(
    private readonly session: MediaLeg,
    readonly format: MediaFormat,
  ) {
    this.samplesPerFrame = frameSamples(format);
    this.pacer = createFramePacer({
      send: (frame, lateMs) => {
        this.framesSent += 1;
        metrics.playbackFrameLateness.observe(lateMs / 1000);
        if (this.current && this.current.firstFrameAt === null) this.current.firstFrameAt = performance.now();
        this.session.sendAudio(frame, this.samplesPerFrame);
      },
    });
  }

  get playing(): boolean {
    return this.current !== null;
  }

  /** Plays one stream of PCM16 audio at `sourceRate`; plays are queued one after another. */
  play(audio: AsyncIterable<Int16Array>, sourceRate: number, options: { onInterrupt?: () => void } = {}): Promise<PlaybackResult> {
    const queuedAt = this.bargeIns;
    const run = this.queue.then(() =>
      this.bargeIns !== queuedAt
        ? (options.onInterrupt?.(), { playedMs: 0, interrupted: true, firstFrameAt: null })
        : this.playNow(audio, sourceRate, options.onInterrupt),
    );
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Barge-in: the callee started talking. Drops queued audio here and asks the provider to drop its buffer. */
  bargeIn(): number {
    if (!this.current) return 0;
    this.bargeIns += 1;
    this.current.interrupted = true;
    this.current.onInterrupt?.(); // stop reading the synthesis stream too
    this.session.clear();
    return this.pacer.clear();
  }

  stop(): void {
    if (this.current) {
      this.current.interrupted = true;
      this.current.onInterrupt?.();
    }
    this.pacer.stop();
  }

  /** Frames sent, underruns and resyncs so far. */
  counters() {
    return this.pacer.counters();
  }

  private async playNow(audio: AsyncIterable<Int16Array>, sourceRate: number, onInterrupt?: () => void): Promise<PlaybackResult> {
    const playback = { interrupted: false, firstFrameAt: null as number | null, framesAtStart: this.framesSent, onInterrupt };
    this.current = playback;
    const resampler = createResampler(sourceRate, this.format.sampleRate);
    const chunker = createFrameChunker(this.samplesPerFrame * 2);
    const enqueue = (pcm: Int16Array) => {
      for (const frame of chunker.push(pcm16ToBuffer(pcm))) this.pacer.enqueue(encodeFrame(this.format, pcm16FromBuffer(frame)));
    };
    try {
      this.pacer.beginStream();
      try {
        for await (const chunk of audio) {
          if (playback.interrupted || !this.session.open) break;
          enqueue(resampler.push(chunk));
        }
      } catch (err) {
        if (!playback.interrupted) throw err; // an aborted source after barge-in is expected
      }
      if (!playback.interrupted) {
        enqueue(resampler.flush());
        const tail = chunker.flush(0);
        if (tail) this.pacer.enqueue(encodeFrame(this.format, pcm16FromBuffer(tail)));
      }
      this.pacer.endStream();
      await this.pacer.whenDrained();
      return {
        playedMs: (this.framesSent - playback.framesAtStart) * 20,
        interrupted: playback.interrupted,
        firstFrameAt: playback.firstFrameAt,
      };
    } finally {
      if (this.current === playback) this.current = null;
    }
  }
}
