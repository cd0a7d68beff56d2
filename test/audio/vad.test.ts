import { loadSileroModel, type SileroModel } from '../../src/audio/vad';
import { createResampler } from '../../src/audio/resampler';
import { concatPcm, silence } from '../../src/audio/pcm';
import { synthesizeRussian } from './speech-fixture';
import { whiteNoise } from './signals';

let model: SileroModel;
beforeAll(async () => {
  model = await loadSileroModel();
});
afterAll(async () => {
  await model.release();
});

async function probabilities(rate: 8000 | 16000, pcm: Int16Array): Promise<number[]> {
  const vad = model.createDetector(rate);
  const out: number[] = [];
  for (let i = 0; i + vad.frameSamples <= pcm.length; i += vad.frameSamples) out.push(await vad.probability(pcm.subarray(i, i + vad.frameSamples)));
  return out;
}

describe('Silero VAD', () => {
  it.each([8000, 16000] as const)('scores speech high and silence/noise low at %i Hz', async (rate) => {
    const speech = synthesizeRussian('Добрый день, это компания.');
    const r = createResampler(speech.sampleRate, rate);
    const speechAtRate = concatPcm([r.push(speech.samples), r.flush()]);
    const probs = await probabilities(rate, concatPcm([speechAtRate, silence(500, rate), whiteNoise(rate, 1000, 300)]));
    const speechWindows = Math.floor(speechAtRate.length / (rate === 8000 ? 256 : 512));
    const speechProbs = probs.slice(0, speechWindows);
    const quietProbs = probs.slice(speechWindows + 5);
    expect(speechProbs.filter((p) => p > 0.5).length / speechProbs.length).toBeGreaterThan(0.5);
    expect(Math.max(...quietProbs)).toBeLessThan(0.3);
  });

  it('rejects windows of the wrong size and rates Silero does not support', async () => {
    const vad = model.createDetector(8000);
    expect(vad.frameSamples).toBe(256);
    expect(model.createDetector(16000).frameSamples).toBe(512);
    await expect(Promise.resolve().then(() => vad.probability(new Int16Array(160)))).rejects.toThrow(/256-sample windows/);
    expect(() => model.createDetector(44100 as 16000)).toThrow(/8000 or 16000/);
  });

  it('keeps separate state per detector sharing one session', async () => {
    const speech = synthesizeRussian('Да.');
    const r = createResampler(speech.sampleRate, 8000);
    const pcm = concatPcm([r.push(speech.samples), r.flush()]);
    const [a, b] = await Promise.all([probabilities(8000, pcm), probabilities(8000, pcm)]);
    expect(a).toEqual(b);
  });
});
