import { createEndpointer, type EndpointerEvent, type SpeechEndEvent } from '../../src/audio/endpointer';
import { encodeFrame, frameBytes, type MediaFormat } from '../../src/audio/media-format';
import { concatPcm, dbfs, silence } from '../../src/audio/pcm';
import { createResampler } from '../../src/audio/resampler';
import { loadSileroModel, type SileroModel, type VoiceActivityDetector } from '../../src/audio/vad';
import { whiteNoise } from './signals';
import { synthesizeRussian } from './speech-fixture';

/** Real Russian speech (espeak-ng) through the real Silero model. */
let model: SileroModel;
beforeAll(async () => {
  model = await loadSileroModel();
});
afterAll(async () => {
  await model.release();
});

const MULAW: MediaFormat = { encoding: 'mulaw', sampleRate: 8000 };

function speechAt(text: string, rate: number): Int16Array {
  const speech = synthesizeRussian(text);
  const r = createResampler(speech.sampleRate, rate);
  return concatPcm([r.push(speech.samples), r.flush()]);
}

/** Adds quiet line noise (about -66 dBFS) so "silence" is not digital zero. */
function withLineNoise(pcm: Int16Array, rate: number): Int16Array {
  const noise = whiteNoise(rate, (pcm.length * 1000) / rate, 30, 42);
  return Int16Array.from(pcm, (v, i) => Math.max(-32768, Math.min(32767, v + (noise[i] ?? 0))));
}

/** Ground truth from the signal itself: first and last 10 ms block louder than -45 dBFS within [fromMs, toMs). */
function energyEdges(pcm: Int16Array, rate: number, fromMs: number, toMs: number): { startMs: number; endMs: number } {
  const block = rate / 100;
  const active: number[] = [];
  for (let ms = fromMs; ms + 10 <= toMs; ms += 10) {
    const i = (ms / 1000) * rate;
    if (dbfs(pcm.subarray(i, i + block)) > -45) active.push(ms);
  }
  if (active.length === 0) throw new Error('no speech energy found');
  return { startMs: active[0] as number, endMs: (active[active.length - 1] as number) + 10 };
}

/** Cuts espeak's own lead-in and sentence-final silence, so pauses between pieces are exactly what the test inserts. */
function trimSilence(pcm: Int16Array, rate: number): Int16Array {
  const { startMs, endMs } = energyEdges(pcm, rate, 0, (pcm.length * 1000) / rate);
  return pcm.subarray((startMs * rate) / 1000, (endMs * rate) / 1000);
}

/** Wraps a detector to measure its cost. */
function timed(vad: VoiceActivityDetector) {
  const cost = { windows: 0, ms: 0 };
  const wrapped: VoiceActivityDetector = {
    sampleRate: vad.sampleRate,
    frameSamples: vad.frameSamples,
    async probability(frame) {
      const t0 = performance.now();
      const p = await vad.probability(frame);
      cost.ms += performance.now() - t0;
      cost.windows++;
      return p;
    },
    reset: () => vad.reset?.(),
  };
  return { vad: wrapped, cost };
}

async function runCall(pcm: Int16Array, format: MediaFormat, vad: VoiceActivityDetector, silenceMs?: number): Promise<EndpointerEvent[]> {
  const endpointer = createEndpointer({ vad, callFormat: format, silenceMs });
  const payload = encodeFrame(format, pcm);
  const size = frameBytes(format);
  const events: EndpointerEvent[] = [];
  for (let offset = 0; offset < payload.length; offset += size) events.push(...(await endpointer.pushFrame(payload.subarray(offset, offset + size))));
  events.push(...(await endpointer.finish()));
  return events;
}

const phrases = (events: EndpointerEvent[]) => events.filter((e): e is SpeechEndEvent => e.type === 'speechEnd');

describe('endpointer on real Russian speech (espeak-ng + Silero)', () => {
  it.each([8000, 16000] as const)(
    'finds exactly the two phrases of a mu-law 8 kHz call, edges within 150 ms (detector at %i Hz)',
    async (vadRate) => {
      const first = speechAt('Алло, да, слушаю вас.', 8000);
      const second = speechAt('Нет, спасибо, не интересно.', 8000);
      const call = withLineNoise(concatPcm([silence(700, 8000), first, silence(1000, 8000), second, silence(1000, 8000)]), 8000);
      const splitMs = 700 + (first.length / 8) + 500; // middle of the 1 s pause
      const truth = [energyEdges(call, 8000, 0, splitMs), energyEdges(call, 8000, splitMs, (call.length / 8))];

      const { vad, cost } = timed(model.createDetector(vadRate));
      const events = await runCall(call, MULAW, vad);
      const found = phrases(events);
      expect(events.filter((e) => e.type === 'speechStart')).toHaveLength(2);
      expect(found).toHaveLength(2);
      found.forEach((phrase, k) => {
        const t = truth[k] as { startMs: number; endMs: number };
        console.log(
          `detector ${vadRate} Hz, phrase ${k + 1}: detected ${phrase.startMs.toFixed(0)}-${phrase.endMs.toFixed(0)} ms, ` +
            `energy ${t.startMs}-${t.endMs} ms`,
        );
        expect(Math.abs(phrase.startMs - t.startMs)).toBeLessThanOrEqual(150);
        expect(Math.abs(phrase.endMs - t.endMs)).toBeLessThanOrEqual(150);
        // The utterance covers the whole phrase (pre-roll keeps the first syllable).
        expect(phrase.audioStartMs).toBeLessThanOrEqual(t.startMs);
        expect(phrase.audioStartMs + (phrase.utterance.length * 1000) / phrase.sampleRate).toBeGreaterThanOrEqual(t.endMs);
      });
      const callFrames = call.length / 160;
      console.log(
        `Silero at ${vadRate} Hz: ${(cost.ms / cost.windows).toFixed(3)} ms per 32 ms window (worker round trip included), ` +
          `${(cost.ms / callFrames).toFixed(3)} ms per 20 ms call frame`,
      );
    },
  );

  it.each([8000, 16000] as const)('detects a lone short answer "Да." (detector at %i Hz)', async (vadRate) => {
    for (const leadMs of [300, 500, 510]) {
      // Different lead-ins shift the word against the 32 ms VAD windows.
      const call = withLineNoise(concatPcm([silence(leadMs, 8000), speechAt('Да.', 8000), silence(800, 8000)]), 8000);
      expect(phrases(await runCall(call, MULAW, model.createDetector(vadRate)))).toHaveLength(1);
    }
  });

  it('does not split a phrase at a 300 ms pause with the default 500 ms, but does with 150 ms', async () => {
    const call = withLineNoise(
      concatPcm([
        silence(500, 8000),
        trimSilence(speechAt('Алло, да.', 8000), 8000),
        silence(300, 8000),
        trimSilence(speechAt('Слушаю вас внимательно.', 8000), 8000),
        silence(900, 8000),
      ]),
      8000,
    );
    expect(phrases(await runCall(call, MULAW, model.createDetector(8000)))).toHaveLength(1);
    expect(phrases(await runCall(call, MULAW, model.createDetector(8000), 150))).toHaveLength(2);
  });

  it('finds no phrase in a 60 ms click, a 60 ms scrap of speech, or low-level white noise', async () => {
    const click = Int16Array.from({ length: 480 }, (_, i) => (Math.floor(i / 8) % 2 === 0 ? 20000 : -20000));
    const scrap = speechAt('Алло', 8000);
    const loudest = scrap.length / 2;
    const call = concatPcm([
      withLineNoise(silence(500, 8000), 8000),
      click,
      withLineNoise(silence(1000, 8000), 8000),
      scrap.subarray(loudest - 240, loudest + 240),
      withLineNoise(silence(1000, 8000), 8000),
      whiteNoise(8000, 3000, 600, 9), // about -38 dBFS of hiss
      withLineNoise(silence(600, 8000), 8000),
    ]);
    expect(phrases(await runCall(call, MULAW, model.createDetector(8000)))).toEqual([]);
    expect(phrases(await runCall(call, MULAW, model.createDetector(16000)))).toEqual([]);
  });

  it('finds the same phrases in clean 16 kHz PCM as after the mu-law 8 kHz round trip', async () => {
    const text = ['Здравствуйте, вас беспокоит служба доставки.', 'Удобно говорить?'];
    const build = (rate: number) => withLineNoise(concatPcm([silence(400, rate), speechAt(text[0] as string, rate), silence(1200, rate), speechAt(text[1] as string, rate), silence(900, rate)]), rate);
    const clean = phrases(await runCall(build(16000), { encoding: 'pcm16', sampleRate: 16000 }, model.createDetector(16000)));
    const telephone = phrases(await runCall(build(8000), MULAW, model.createDetector(8000)));
    expect(clean).toHaveLength(2);
    expect(telephone).toHaveLength(2);
    telephone.forEach((p, k) => {
      expect(Math.abs(p.startMs - (clean[k]?.startMs ?? 0))).toBeLessThanOrEqual(100);
      expect(Math.abs(p.endMs - (clean[k]?.endMs ?? 0))).toBeLessThanOrEqual(100);
    });
  });
});
