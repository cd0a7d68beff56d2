import { createEndpointer, type EndpointerEvent, type EndpointerOptions, type SpeechEndEvent } from '../../src/audio/endpointer';
import { encodeFrame, frameBytes, type MediaFormat } from '../../src/audio/media-format';
import { concatPcm, rms, silence } from '../../src/audio/pcm';
import type { VoiceActivityDetector } from '../../src/audio/vad';
import { tone } from './signals';

/** Deterministic stand-in for Silero: a window is "speech" when loud. Lets the phrase rules be tested exactly. */
function loudnessVad(sampleRate: 8000 | 16000 = 8000): VoiceActivityDetector & { calls: number } {
  return {
    sampleRate,
    frameSamples: sampleRate === 8000 ? 256 : 512,
    calls: 0,
    probability(frame) {
      this.calls++;
      return rms(frame) > 1000 ? 0.9 : 0.05;
    },
  };
}

const MULAW: MediaFormat = { encoding: 'mulaw', sampleRate: 8000 };

/** A call-side signal: [kind, ms] segments of "speech" (a loud tone) and silence. */
function script(format: MediaFormat, segments: Array<['speech' | 'silence', number]>): Int16Array {
  return concatPcm(segments.map(([kind, ms]) => (kind === 'speech' ? tone(440, format.sampleRate, ms, 0.3) : silence(ms, format.sampleRate))));
}

async function feed(options: Partial<EndpointerOptions> & { vad: VoiceActivityDetector }, pcm: Int16Array, format: MediaFormat = MULAW) {
  const endpointer = createEndpointer({ callFormat: format, ...options });
  const events: EndpointerEvent[] = [];
  const payload = encodeFrame(format, pcm);
  const size = frameBytes(format);
  for (let offset = 0; offset < payload.length; offset += size) events.push(...(await endpointer.pushFrame(payload.subarray(offset, offset + size))));
  events.push(...(await endpointer.finish()));
  return events;
}

const ends = (events: EndpointerEvent[]) => events.filter((e): e is SpeechEndEvent => e.type === 'speechEnd');

describe('createEndpointer (phrase rules, scripted detector)', () => {
  it('finds a phrase with window-accurate edges, pre-roll and post-roll, and announces it once confirmed', async () => {
    const events = await feed({ vad: loudnessVad() }, script(MULAW, [['silence', 1000], ['speech', 1000], ['silence', 1000]]));
    expect(events.map((e) => e.type)).toEqual(['speechStart', 'speechEnd']);
    const [start, end] = events as [Extract<EndpointerEvent, { type: 'speechStart' }>, SpeechEndEvent];
    expect(Math.abs(start.atMs - 1000)).toBeLessThanOrEqual(32);
    expect(Math.abs(end.startMs - 1000)).toBeLessThanOrEqual(32);
    expect(Math.abs(end.endMs - 2000)).toBeLessThanOrEqual(32);
    expect(end.durationMs).toBeCloseTo(end.endMs - end.startMs);
    expect(end.sampleRate).toBe(8000);
    expect(end.audioStartMs).toBeCloseTo(end.startMs - 200, 0);
    expect(end.utterance.length).toBe(Math.round(((end.endMs + 100 - end.audioStartMs) * 8000) / 1000));
    expect(end.forced).toBe(false);
    // The pre-roll is the quiet lead-in, then speech follows.
    expect(rms(end.utterance.subarray(0, 1200))).toBeLessThan(100);
    expect(rms(end.utterance.subarray(2000, 8000))).toBeGreaterThan(1000);
  });

  it('ignores a 60 ms click and bursts shorter than minSpeechMs (default 150 ms)', async () => {
    const bursts = script(MULAW, [['silence', 500], ['speech', 60], ['silence', 1000], ['speech', 100], ['silence', 1000]]);
    expect(await feed({ vad: loudnessVad() }, bursts)).toEqual([]);
    const twoHundred = script(MULAW, [['silence', 500], ['speech', 200], ['silence', 1000]]);
    expect(ends(await feed({ vad: loudnessVad() }, twoHundred))).toHaveLength(1);
    expect(await feed({ vad: loudnessVad(), minSpeechMs: 250 }, twoHundred)).toEqual([]);
  });

  it('keeps a 300 ms pause inside one phrase with the 500 ms setting, and splits on it with 200 ms', async () => {
    const pcm = script(MULAW, [['silence', 300], ['speech', 700], ['silence', 300], ['speech', 700], ['silence', 800]]);
    expect(ends(await feed({ vad: loudnessVad() }, pcm))).toHaveLength(1);
    expect(ends(await feed({ vad: loudnessVad(), silenceMs: 200 }, pcm))).toHaveLength(2);
  });

  it('hands on the phrase provisionally after the tentative silence and withdraws it when speech resumes', async () => {
    const pcm = script(MULAW, [['silence', 300], ['speech', 700], ['silence', 350], ['speech', 700], ['silence', 800]]);
    const events = await feed({ vad: loudnessVad(), tentativeSilenceMs: 200 }, pcm);
    const kinds = events.map((e) => e.type);
    // pause in the middle -> resumed -> pause at the end -> confirmed end: one phrase, never split.
    expect(kinds).toEqual(['speechStart', 'speechPause', 'speechResumed', 'speechPause', 'speechEnd']);
    const [firstPause, secondPause] = events.filter((e) => e.type === 'speechPause');
    const end = ends(events)[0]!;
    expect(firstPause && 'durationMs' in firstPause && firstPause.durationMs).toBeLessThan(800);
    // The last provisional phrase is the whole phrase, the same audio the confirmed end carries.
    expect(secondPause && 'utterance' in secondPause && secondPause.utterance.length).toBe(end.utterance.length);
    expect(end.durationMs).toBeGreaterThan(1700);
  });

  it('sends no provisional ends unless asked to', async () => {
    const pcm = script(MULAW, [['silence', 300], ['speech', 700], ['silence', 800]]);
    expect((await feed({ vad: loudnessVad() }, pcm)).map((e) => e.type)).toEqual(['speechStart', 'speechEnd']);
  });

  it('emits speechEnd only after the trailing silence has lasted silenceMs', async () => {
    const endpointer = createEndpointer({ vad: loudnessVad(), callFormat: MULAW });
    const pcm = script(MULAW, [['speech', 600], ['silence', 1000]]);
    const payload = encodeFrame(MULAW, pcm);
    let endAtMs: number | undefined;
    for (let offset = 0; offset < payload.length && endAtMs === undefined; offset += 160) {
      const events = await endpointer.pushFrame(payload.subarray(offset, offset + 160));
      if (ends(events).length > 0) endAtMs = endpointer.positionMs;
    }
    expect(endAtMs).toBeGreaterThanOrEqual(600 + 500);
    expect(endAtMs).toBeLessThanOrEqual(600 + 500 + 64); // a window plus the resampler/window buffering
  });

  it('treats reported gaps as silence: pushGap(ms) and frames whose atMs jumps ahead', async () => {
    const vad = loudnessVad();
    const endpointer = createEndpointer({ vad, callFormat: MULAW });
    const speechFrame = encodeFrame(MULAW, tone(440, 8000, 20, 0.3));
    for (let i = 0; i < 25; i++) await endpointer.pushFrame(speechFrame); // 500 ms of speech
    const gapEvents = await endpointer.pushGap(600); // lost audio: long enough to end the phrase
    expect(ends(gapEvents)).toHaveLength(1);
    expect(endpointer.positionMs).toBe(1100);
    // The other way: timestamps. Speech again, then a frame stamped 700 ms later than expected.
    for (let i = 0; i < 25; i++) await endpointer.pushFrame(speechFrame, 1100 + i * 20);
    const jumpEvents = await endpointer.pushFrame(encodeFrame(MULAW, silence(20, 8000)), 1600 + 700);
    expect(ends(jumpEvents)).toHaveLength(1);
    expect(endpointer.positionMs).toBe(2320);
    expect(ends(jumpEvents)[0]?.startMs).toBeGreaterThanOrEqual(1100 - 32);
  });

  it('cuts a never-ending phrase at maxUtteranceMs', async () => {
    const events = await feed({ vad: loudnessVad(), maxUtteranceMs: 2000 }, script(MULAW, [['speech', 5000], ['silence', 700]]));
    const phrases = ends(events);
    expect(phrases.length).toBeGreaterThanOrEqual(2);
    expect(phrases[0]?.forced).toBe(true);
    expect(phrases[0]?.durationMs).toBeGreaterThanOrEqual(2000);
    expect(phrases[0]?.durationMs).toBeLessThan(2050);
  });

  it('closes an open phrase on finish() and starts over from 0', async () => {
    const endpointer = createEndpointer({ vad: loudnessVad(), callFormat: MULAW });
    const speechFrame = encodeFrame(MULAW, tone(440, 8000, 20, 0.3));
    for (let i = 0; i < 20; i++) await endpointer.pushFrame(speechFrame);
    const events = await endpointer.finish();
    expect(ends(events)).toHaveLength(1);
    expect(endpointer.positionMs).toBe(0);
    expect(await endpointer.finish()).toEqual([]);
  });

  it('runs operations in order even when the caller does not await each one', async () => {
    const pcm = script(MULAW, [['silence', 300], ['speech', 600], ['silence', 700], ['speech', 400], ['silence', 600]]);
    const awaited = await feed({ vad: loudnessVad() }, pcm);
    const endpointer = createEndpointer({ vad: loudnessVad(), callFormat: MULAW });
    const payload = encodeFrame(MULAW, pcm);
    const pushes: Array<Promise<EndpointerEvent[]>> = [];
    for (let offset = 0; offset < payload.length; offset += 160) pushes.push(endpointer.pushFrame(payload.subarray(offset, offset + 160)));
    pushes.push(endpointer.finish());
    expect((await Promise.all(pushes)).flat()).toEqual(awaited);
  });

  it.each([
    [{ encoding: 'pcm16', sampleRate: 16000 }, 8000],
    [{ encoding: 'mulaw', sampleRate: 8000 }, 16000],
    [{ encoding: 'alaw', sampleRate: 8000 }, 8000],
  ] as const)('resamples %j call audio to a %i Hz detector', async (format, vadRate) => {
    const events = await feed({ vad: loudnessVad(vadRate) }, script(format, [['silence', 500], ['speech', 800], ['silence', 800]]), format);
    const [phrase] = ends(events);
    expect(ends(events)).toHaveLength(1);
    expect(phrase?.sampleRate).toBe(vadRate);
    expect(Math.abs((phrase?.startMs ?? 0) - 500)).toBeLessThanOrEqual(32);
    expect(Math.abs((phrase?.endMs ?? 0) - 1300)).toBeLessThanOrEqual(32);
  });
});
