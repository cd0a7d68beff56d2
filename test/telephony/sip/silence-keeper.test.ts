/** RtpSilenceKeeper on a fake clock: exact slot times, with jitter on the caller's own clock. */
import { type KeeperTimers, RtpSilenceKeeper } from '../../../src/telephony/sip/rtp-silence-keeper';
import { seededRandom } from '../../audio/signals';

class FakeClock implements KeeperTimers {
  now = 0;
  private timers: Array<{ at: number; fn: () => void; id: number }> = [];
  private nextId = 1;

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.push({ at: this.now + ms, fn, id });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  /** Runs every timer due up to `t`, in time order, the clock showing each one's due time. */
  runUntil(t: number): void {
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.timers[0];
      if (!next || next.at > t) break;
      this.timers.shift();
      this.now = Math.max(this.now, next.at);
      next.fn();
    }
    this.now = t;
  }
}

type Packet = { at: number; kind: 'silence' | 'audio' };

function setup() {
  const clock = new FakeClock();
  const packets: Packet[] = [];
  const keeper = new RtpSilenceKeeper({ sendSilence: () => packets.push({ at: clock.now, kind: 'silence' }), now: () => clock.now, timers: clock });
  const sendAudio = () => {
    packets.push({ at: clock.now, kind: 'audio' });
    keeper.noteAudioSent();
  };
  return { clock, packets, keeper, sendAudio };
}

test('silence every 20 ms on an absolute grid; caller frames up to 8 ms late replace it, never doubled', () => {
  const { clock, packets, keeper, sendAudio } = setup();
  keeper.start();
  const random = seededRandom(7);
  // 50 frames on the caller's drift-free grid 103 + 20n, each late by 0-8 ms (timers fire late, not early).
  const audioTimes = Array.from({ length: 50 }, (_, n) => 103 + 20 * n + Math.round(random() * 8));
  for (const at of audioTimes) {
    clock.runUntil(at);
    sendAudio();
  }
  clock.runUntil(1500);
  keeper.stop();
  clock.runUntil(2000);

  const silence = packets.filter((p) => p.kind === 'silence').map((p) => p.at);
  const firstAudio = audioTimes[0] ?? 0;
  const lastAudio = audioTimes.at(-1) ?? 0;
  // Before speech: 0, 20, 40... exactly (drift-free).
  expect(silence.filter((t) => t < firstAudio)).toEqual([0, 20, 40, 60, 80, 100].filter((t) => t < firstAudio));
  // During speech: no silence at all.
  expect(silence.filter((t) => t > firstAudio && t < lastAudio)).toEqual([]);
  // After speech: silence resumes within two slots, then exactly every 20 ms until stop().
  const after = silence.filter((t) => t > lastAudio);
  expect((after[0] ?? 0) - lastAudio).toBeGreaterThan(0);
  expect((after[0] ?? 0) - lastAudio).toBeLessThanOrEqual(40);
  for (let i = 1; i < after.length; i++) expect((after[i] ?? 0) - (after[i - 1] ?? 0)).toBe(20);
  expect(after.at(-1)).toBeLessThanOrEqual(1500);
  // One packet per 20 ms over the whole run: no slot carried both silence and speech.
  const span = (packets.at(-1)?.at ?? 0) - (packets[0]?.at ?? 0);
  expect(packets.length).toBe(Math.round(span / 20) + 1);
});

test('one frame very late (a stalled event loop) costs at most one extra packet, then the grid follows', () => {
  const { clock, packets, keeper, sendAudio } = setup();
  keeper.start();
  // Frames 100 + 20n; the loop stalls from 300 to 325, so frames 10 and 11 go out together at 325.
  const audioTimes = Array.from({ length: 30 }, (_, n) => (n === 10 || n === 11 ? 325 : 100 + 20 * n));
  for (const at of audioTimes) {
    clock.runUntil(at);
    sendAudio();
  }
  clock.runUntil(100 + 20 * 30);
  keeper.stop();
  const during = packets.filter((p) => p.at > 100 && p.at < 100 + 20 * 30); // (silence still owned the slot at 100)
  expect(during.filter((p) => p.kind === 'audio')).toHaveLength(29); // all but the one at 100
  expect(during.length).toBeLessThanOrEqual(30); // plus at most one silence frame for the stalled slot
  // After the hiccup the grid sits between the caller's frames again: no silence until speech ends.
  expect(during.filter((p) => p.kind === 'silence' && p.at > 340)).toEqual([]);
});

test('a catch-up burst of frames cancels as many slots as it holds', () => {
  const { clock, packets, keeper, sendAudio } = setup();
  keeper.start();
  // Speech starts at 50 (the grid moves to 60, 80, 100...); the frame due at 90 is late and
  // goes out at 92 together with the one due at 110; then 130, 150 on time; then nothing.
  for (const at of [50, 70, 92, 92, 130, 150]) {
    clock.runUntil(at);
    sendAudio();
  }
  clock.runUntil(200);
  keeper.stop();
  expect(packets.filter((p) => p.kind === 'silence' && p.at > 50).map((p) => p.at)).toEqual([180, 200]);
});

test('a stalled event loop restarts the grid instead of bursting the missed silence', () => {
  const { clock, packets, keeper } = setup();
  keeper.start();
  clock.runUntil(40);
  // The loop is blocked for 500 ms: timers fire late.
  clock.now = 540;
  clock.runUntil(600);
  keeper.stop();
  const late = packets.filter((p) => p.at >= 540).map((p) => p.at);
  expect(late).toEqual([540, 560, 580, 600]);
});
