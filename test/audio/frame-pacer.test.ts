import { createFramePacer, type PacerTimers } from '../../src/audio/frame-pacer';
import { seededRandom } from './signals';

/** A manual clock whose timers fire late by `lateness()` ms, like a busy event loop. */
function fakeClock(lateness: () => number = () => 0) {
  let t = 0;
  let nextId = 1;
  const pending = new Map<number, { at: number; fn: () => void }>();
  const timers: PacerTimers = {
    setTimeout(fn, ms) {
      const id = nextId++;
      pending.set(id, { at: t + ms + lateness(), fn });
      return id;
    },
    clearTimeout(id) {
      pending.delete(id as number);
    },
  };
  const advance = (ms: number) => {
    const end = t + ms;
    for (;;) {
      const [id, next] = [...pending.entries()].sort((a, b) => a[1].at - b[1].at)[0] ?? [];
      if (id === undefined || !next || next.at > end) break;
      pending.delete(id);
      t = Math.max(t, next.at);
      next.fn();
    }
    t = end;
  };
  return { now: () => t, timers, advance, pendingTimers: () => pending.size };
}

const frame = (n: number) => Buffer.from([n & 0xff]);

describe('createFramePacer (fake clock)', () => {
  it('sends frame n at t0 + n*20 ms; timer jitter never accumulates', () => {
    const rand = seededRandom(7);
    const clock = fakeClock(() => rand() * 15); // every timer 0..15 ms late
    const sent: Array<{ n: number; at: number }> = [];
    const pacer = createFramePacer({ send: (f) => sent.push({ n: f[0] as number, at: clock.now() }), now: clock.now, timers: clock.timers });
    for (let n = 0; n < 200; n++) pacer.enqueue(frame(n));
    clock.advance(5000);
    expect(sent.map((s) => s.n)).toEqual(Array.from({ length: 200 }, (_, n) => n & 0xff));
    for (const [n, s] of sent.entries()) {
      expect(s.at).toBeGreaterThanOrEqual(n * 20); // never early
      expect(s.at - n * 20).toBeLessThanOrEqual(15); // late only by one timer's jitter, not the sum of them
    }
    const stats = pacer.stats();
    expect(stats.framesSent).toBe(200);
    expect(stats.lateness.maxMs).toBeLessThanOrEqual(15);
    expect(stats.lateness.meanMs).toBeGreaterThan(0);
  });

  it('catches up after a late timer by sending the overdue frames at once', () => {
    const lateness = [50]; // the first timer (for frame 1, due at 20 ms) fires at 70 ms; the rest on time
    const clock = fakeClock(() => lateness.shift() ?? 0);
    const sentAt: number[] = [];
    const pacer = createFramePacer({ send: () => sentAt.push(clock.now()), now: clock.now, timers: clock.timers });
    for (let n = 0; n < 10; n++) pacer.enqueue(frame(n));
    clock.advance(300);
    expect(sentAt).toEqual([0, 70, 70, 70, 80, 100, 120, 140, 160, 180]);
    expect(pacer.stats().lateness.maxMs).toBe(50);
  });

  it('restarts the schedule instead of bursting after a stall longer than maxLagMs', () => {
    const lateness = [500];
    const clock = fakeClock(() => lateness.shift() ?? 0);
    const sentAt: number[] = [];
    const pacer = createFramePacer({ send: () => sentAt.push(clock.now()), now: clock.now, timers: clock.timers, maxLagMs: 100 });
    for (let n = 0; n < 5; n++) pacer.enqueue(frame(n));
    clock.advance(800);
    expect(sentAt).toEqual([0, 520, 540, 560, 580]);
    expect(pacer.stats().resyncs).toBe(1);
  });

  it('reports drained when the last frame has played out, and resolves whenDrained', async () => {
    const clock = fakeClock();
    const onDrained = jest.fn();
    const pacer = createFramePacer({ send: () => undefined, now: clock.now, timers: clock.timers, onDrained });
    await expect(pacer.whenDrained()).resolves.toBeUndefined(); // idle: at once
    for (let n = 0; n < 3; n++) pacer.enqueue(frame(n));
    let resolved = false;
    void pacer.whenDrained().then(() => (resolved = true));
    clock.advance(59); // third frame sent at 40 ms, plays until 60 ms
    await Promise.resolve();
    expect(resolved).toBe(false);
    expect(onDrained).not.toHaveBeenCalled();
    clock.advance(1);
    await Promise.resolve();
    expect(resolved).toBe(true);
    expect(onDrained).toHaveBeenCalledTimes(1);
  });

  it('counts an underrun when the queue runs dry while a stream is open, then resumes without bursting', () => {
    const clock = fakeClock();
    const sentAt: number[] = [];
    const onDrained = jest.fn();
    const pacer = createFramePacer({ send: () => sentAt.push(clock.now()), now: clock.now, timers: clock.timers, onDrained });
    pacer.beginStream();
    pacer.enqueue(frame(0));
    pacer.enqueue(frame(1));
    clock.advance(100); // dry from 40 ms: one underrun, however long it lasts
    expect(pacer.stats().underruns).toBe(1);
    expect(onDrained).not.toHaveBeenCalled();
    pacer.enqueue(frame(2));
    pacer.enqueue(frame(3));
    pacer.endStream();
    clock.advance(100);
    expect(sentAt).toEqual([0, 20, 100, 120]);
    expect(pacer.stats().underruns).toBe(1);
    expect(onDrained).toHaveBeenCalledTimes(1);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('does not count an underrun when no stream is open', () => {
    const clock = fakeClock();
    const pacer = createFramePacer({ send: () => undefined, now: clock.now, timers: clock.timers });
    pacer.enqueue(frame(0));
    clock.advance(100);
    expect(pacer.stats().underruns).toBe(0);
  });

  it('clear() drops the queue (barge-in), reports the dropped ms and keeps the 20 ms grid for what comes next', () => {
    const clock = fakeClock();
    const sent: Array<{ n: number; at: number }> = [];
    const onDrained = jest.fn();
    const pacer = createFramePacer({ send: (f) => sent.push({ n: f[0] as number, at: clock.now() }), now: clock.now, timers: clock.timers, onDrained });
    pacer.beginStream();
    for (let n = 0; n < 50; n++) pacer.enqueue(frame(n));
    clock.advance(30); // frames 0 and 1 sent
    expect(pacer.queuedMs).toBe(960);
    expect(pacer.clear()).toBe(960);
    expect(pacer.queuedMs).toBe(0);
    expect(onDrained).toHaveBeenCalledTimes(1);
    pacer.enqueue(frame(100)); // frame 1 is still playing until 40 ms
    clock.advance(100);
    expect(sent).toEqual([
      { n: 0, at: 0 },
      { n: 1, at: 20 },
      { n: 100, at: 40 },
    ]);
    expect(pacer.stats().underruns).toBe(0); // clear() closed the stream
  });

  it('handles clear() and enqueue() called from inside send()', () => {
    const clock = fakeClock();
    const sent: number[] = [];
    const pacer = createFramePacer({
      send: (f) => {
        sent.push(f[0] as number);
        if (f[0] === 1) {
          pacer.clear();
          pacer.enqueue(frame(9));
        }
      },
      now: clock.now,
      timers: clock.timers,
    });
    for (let n = 0; n < 4; n++) pacer.enqueue(frame(n));
    clock.advance(200);
    expect(sent).toEqual([0, 1, 9]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('stop() ends for good: queue dropped, timer cancelled, later frames ignored', async () => {
    const clock = fakeClock();
    const send = jest.fn();
    const pacer = createFramePacer({ send, now: clock.now, timers: clock.timers });
    for (let n = 0; n < 5; n++) pacer.enqueue(frame(n));
    const drained = pacer.whenDrained();
    pacer.stop();
    await expect(drained).resolves.toBeUndefined();
    pacer.enqueue(frame(9));
    clock.advance(500);
    expect(send).toHaveBeenCalledTimes(1);
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe('createFramePacer (real clock)', () => {
  it('paces 100 frames over ~2 s without cumulative drift', async () => {
    const sendTimes: number[] = [];
    const pacer = createFramePacer({ send: () => sendTimes.push(performance.now()) });
    const t0 = performance.now();
    pacer.beginStream();
    for (let n = 0; n < 100; n++) pacer.enqueue(Buffer.alloc(160, 0xff));
    pacer.endStream();
    await pacer.whenDrained();
    const total = performance.now() - t0;
    const first = sendTimes[0] as number;
    const finalDrift = (sendTimes[99] as number) - (first + 99 * 20);
    const stats = pacer.stats();
    console.log(
      `real-time pacer: 100 frames in ${total.toFixed(1)} ms, final frame ${finalDrift.toFixed(2)} ms off schedule, ` +
        `lateness mean ${stats.lateness.meanMs.toFixed(2)} / p95 ${stats.lateness.p95Ms.toFixed(2)} / max ${stats.lateness.maxMs.toFixed(2)} ms`,
    );
    expect(sendTimes).toHaveLength(100);
    expect(Math.abs(finalDrift)).toBeLessThan(40);
    expect(total).toBeGreaterThan(1990); // 100 slots of 20 ms, the last one played out
    expect(total).toBeLessThan(2100);
  });
});
