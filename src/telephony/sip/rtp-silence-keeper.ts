/**
 * Keeps one RTP packet on the line every 20 ms while we have nothing to say: many trunks (and
 * NAT bindings) drop a call whose RTP stops. Silence frame n goes out at anchor + n * 20 ms
 * (absolute schedule, so timer jitter does not accumulate into drift).
 *
 * Real audio comes from a caller with its own drift-free 20 ms clock. Each real frame is a credit
 * that cancels the next silence slot, so the line never carries two packets for one 20 ms slot.
 * When speech starts after silence the grid re-anchors half a frame after that speech frame:
 * our checks then fall between the caller's frames, so a frame up to 10 ms later than its
 * talkspurt's first one still lands in its own slot. A frame later than that (a stalled event
 * loop) costs one extra silence packet, and the grid re-anchors on it.
 */

export interface KeeperTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface RtpSilenceKeeperOptions {
  sendSilence(): void;
  frameMs?: number;
  /** Monotonic ms clock; default performance.now(). */
  now?: () => number;
  timers?: KeeperTimers;
  /** Past this lag (event loop stalled) restart the grid at now instead of bursting silence. */
  maxLagMs?: number;
}

/** Frames a caller may send ahead (a catch-up burst) and still have each cancel one slot. */
const MAX_CREDIT = 5;

const realTimers: KeeperTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export class RtpSilenceKeeper {
  private readonly frameMs: number;
  private readonly now: () => number;
  private readonly timers: KeeperTimers;
  private readonly maxLagMs: number;
  private anchor = 0;
  private slot = 0;
  private credit = 0;
  private filling = false;
  private timer: unknown;
  private running = false;
  silenceFramesSent = 0;

  constructor(private readonly options: RtpSilenceKeeperOptions) {
    this.frameMs = options.frameMs ?? 20;
    this.now = options.now ?? (() => performance.now());
    this.timers = options.timers ?? realTimers;
    this.maxLagMs = options.maxLagMs ?? 200;
  }

  /** Starts with a silence frame now (it also opens NAT bindings toward the remote). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.anchor = this.now();
    this.slot = 0;
    this.tick();
  }

  /** Tells the keeper a real frame just went out. */
  noteAudioSent(): void {
    if (!this.running) return;
    this.credit = Math.min(this.credit + 1, MAX_CREDIT);
    if (this.filling) {
      this.filling = false;
      this.credit = 1;
      this.anchor = this.now() + this.frameMs / 2;
      this.slot = 0;
      this.schedule();
    }
  }

  stop(): void {
    this.running = false;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    this.timer = undefined;
    if (!this.running) return;
    if (this.credit > 0) {
      this.credit--;
    } else {
      this.filling = true;
      this.silenceFramesSent++;
      this.options.sendSilence();
      if (!this.running) return;
    }
    this.slot++;
    if (this.now() - (this.anchor + this.slot * this.frameMs) > this.maxLagMs) {
      // This tick stood for the slot at now; the next one is a frame later.
      this.anchor = this.now();
      this.slot = 1;
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    const due = this.anchor + this.slot * this.frameMs;
    this.timer = this.timers.setTimeout(() => this.tick(), Math.max(0, due - this.now()));
  }
}
