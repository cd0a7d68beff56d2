/**
 * Sends fixed-duration frames in real time. Frame n of a run goes out at anchor + n * frameMs
 * (absolute schedule): a late timer makes that frame late but the next one is still due on
 * the original grid, so timer jitter never accumulates into drift.
 */
export interface FramePacerOptions {
  frameMs?: number;
  /** `lateMs`: how far behind its slot on the 20 ms grid this frame leaves (jitter figures). */
  send(frame: Buffer, lateMs: number): void;
  /** Monotonic clock in ms; default performance.now(). */
  now?: () => number;
  timers?: PacerTimers;
  /** Called when everything queued has been played out and no stream is open. */
  onDrained?: () => void;
  /** If the schedule falls this far behind (event loop stalled), restart it at now instead of bursting. Default 200. */
  maxLagMs?: number;
}

export interface PacerTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface PacerStats {
  framesSent: number;
  /** Times the queue ran dry while a stream was still producing (beginStream without endStream). */
  underruns: number;
  /** Times the schedule was restarted because it lagged more than maxLagMs. */
  resyncs: number;
  /** Send time minus scheduled time, over the last LATENESS_WINDOW frames. */
  lateness: { meanMs: number; p95Ms: number; maxMs: number };
}

export interface FramePacer {
  enqueue(frame: Buffer): void;
  /** Barge-in: drops queued frames, closes the open stream, reports drained; returns the ms of audio dropped. */
  clear(): number;
  /** Marks that more frames are coming: an empty queue until endStream() is an underrun, not the end. */
  beginStream(): void;
  endStream(): void;
  /** Resolves at the next drained moment (at once if idle). */
  whenDrained(): Promise<void>;
  /** Stops for good: drops the queue, cancels the timer; later enqueues are ignored. */
  stop(): void;
  readonly queuedMs: number;
  stats(): PacerStats;
  /** The counters alone, without sorting the lateness window (cheap enough to read around every play). */
  counters(): Omit<PacerStats, 'lateness'>;
}

const LATENESS_WINDOW = 1000;
/** Node timers may fire up to ~1 ms before the requested time on the monotonic clock. */
const EARLY_TOLERANCE_MS = 1;

const realTimers: PacerTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export function createFramePacer(options: FramePacerOptions): FramePacer {
  const frameMs = options.frameMs ?? 20;
  const now = options.now ?? (() => performance.now());
  const timers = options.timers ?? realTimers;
  const maxLagMs = options.maxLagMs ?? 200;

  const queue: Buffer[] = [];
  let head = 0; // index of the next frame in `queue` (avoids O(n) shift)
  let anchor = 0;
  let slot = 0; // next frame is due at anchor + slot * frameMs
  let timer: unknown;
  let streamOpen = false;
  let dry = false; // already counted this underrun
  let stopped = false;
  let generation = 0; // bumped by clear()/stop() so a tick interrupted inside send() stands down
  let drainWaiters: Array<() => void> = [];
  const stats = { framesSent: 0, underruns: 0, resyncs: 0 };
  const lateness = new Float64Array(LATENESS_WINDOW);
  let maxLateness = 0;

  const queued = () => queue.length - head;
  const due = () => anchor + slot * frameMs;
  let ticking = false; // inside tick(): an enqueue from send() must not start a second loop
  const running = () => timer !== undefined || ticking;

  const drained = () => {
    const waiters = drainWaiters;
    drainWaiters = [];
    for (const resolve of waiters) resolve();
    options.onDrained?.();
  };

  const cancelTimer = () => {
    if (timer !== undefined) timers.clearTimeout(timer);
    timer = undefined;
  };

  const schedule = () => {
    timer = timers.setTimeout(tick, Math.max(0, due() - now()));
  };

  function tick(): void {
    timer = undefined;
    ticking = true;
    try {
      sendDueFrames();
    } finally {
      ticking = false;
    }
  }

  function sendDueFrames(): void {
    const t = now();
    if (t - due() > maxLagMs) {
      anchor = t;
      slot = 0;
      stats.resyncs++;
    }
    while (due() <= t + EARLY_TOLERANCE_MS) {
      if (queued() === 0) {
        queue.length = head = 0;
        if (!streamOpen) drained();
        else if (!dry) {
          dry = true;
          stats.underruns++;
        }
        if (queued() === 0) return; // idle until the next enqueue re-anchors
        continue; // onDrained queued more: it takes this slot
      }
      const frame = queue[head++] as Buffer;
      if (head > 256 && head * 2 > queue.length) {
        queue.splice(0, head); // let sent frames be collected during long streams
        head = 0;
      }
      const late = t - due();
      lateness[stats.framesSent % LATENESS_WINDOW] = late;
      maxLateness = Math.max(maxLateness, late);
      stats.framesSent++;
      slot++;
      const gen = generation;
      options.send(frame, late);
      if (gen !== generation) {
        // send() called clear() or stop(); anything enqueued since keeps the grid.
        if (!stopped && queued() > 0) schedule();
        return;
      }
    }
    schedule();
  }

  const start = () => {
    const t = now();
    // Keep the grid if the previous frame is still playing (next slot in the future); else start it now.
    if (due() < t) {
      anchor = t;
      slot = 0;
    }
    tick();
  };

  return {
    enqueue(frame) {
      if (stopped) return;
      queue.push(frame);
      dry = false;
      if (!running()) start();
    },
    clear() {
      const droppedMs = queued() * frameMs;
      generation++;
      queue.length = head = 0;
      cancelTimer();
      streamOpen = false;
      dry = false;
      drained();
      return droppedMs;
    },
    beginStream() {
      streamOpen = true;
    },
    endStream() {
      streamOpen = false;
      if (!running() && queued() === 0) drained();
    },
    whenDrained() {
      if (stopped || (!running() && queued() === 0 && !streamOpen)) return Promise.resolve();
      return new Promise((resolve) => drainWaiters.push(resolve));
    },
    stop() {
      stopped = true;
      generation++;
      queue.length = head = 0;
      cancelTimer();
      streamOpen = false;
      drained();
    },
    get queuedMs() {
      return queued() * frameMs;
    },
    counters() {
      return { ...stats };
    },
    stats() {
      const n = Math.min(stats.framesSent, LATENESS_WINDOW);
      const recent = Array.from(lateness.subarray(0, n)).sort((a, b) => a - b);
      const mean = n === 0 ? 0 : recent.reduce((a, b) => a + b, 0) / n;
      const p95 = n === 0 ? 0 : (recent[Math.min(n - 1, Math.floor(n * 0.95))] ?? 0);
      return { ...stats, lateness: { meanMs: mean, p95Ms: p95, maxMs: maxLateness } };
    },
  };
}
