/**
 * The emulator's transcription is ACOUSTIC MATCHING against a closed phrase bank (espeak-ng
 * renderings, MFCC-like features, banded DTW). These tests show that the text comes from the audio:
 * every bank phrase survives an 8 kHz mu-law phone round trip, while broken codecs, clipped phrases,
 * noise, silence and concatenations do not come out as the right phrase. The distance margins and the
 * matching time are printed so the threshold choice stays visible.
 */
import { synthesizeWithEspeak } from '../../src/speech-synthesis/espeak';
import { lineText, synthesizeSpokenLine } from '../../src/speech-synthesis/spoken-line';
import { alawDecodeSample, mulawDecodeSample } from '../../src/audio/g711';
import {
  DEFAULT_MATCH_THRESHOLD,
  DEFAULT_PHRASE_BANK,
  getPhraseRecognizer,
  type PhraseRecognizer,
  type Recognition,
} from '../../src/openai/emulator/speech/recognizer';
import { resampleLinear } from '../../src/openai/emulator/speech/resample';
import { PERSONA_LINES } from '../../src/telephony/simulated/callee-behaviours';

// ---- G.711 written independently of src/ (ITU-T G.711 reference algorithm) ----
function muLawEncode(value: number): number {
  const BIAS = 0x84;
  const CLIP = 32635;
  let sample = value;
  const sign = sample < 0 ? 0x80 : 0;
  if (sign) sample = -sample;
  if (sample > CLIP) sample = CLIP;
  sample += BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (sample & mask) === 0 && exponent > 0; mask >>= 1) exponent -= 1;
  const mantissa = (sample >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}
function muLawDecode(byte: number): number {
  const u = ~byte & 0xff;
  const t = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
  return u & 0x80 ? 0x84 - t : t - 0x84;
}
function aLawEncode(value: number): number {
  let sample = value;
  let sign = 0x80;
  if (sample < 0) {
    sign = 0;
    sample = -sample - 1;
  }
  if (sample > 32767) sample = 32767;
  let exponent = 7;
  for (let mask = 0x4000; (sample & mask) === 0 && exponent > 0; mask >>= 1) exponent -= 1;
  const mantissa = exponent === 0 ? (sample >> 4) & 0x0f : (sample >> (exponent + 3)) & 0x0f;
  return (sign | (exponent << 4) | mantissa) ^ 0x55;
}
function aLawDecode(byte: number): number {
  const a = byte ^ 0x55;
  const exponent = (a & 0x70) >> 4;
  let t = (a & 0x0f) << 4;
  t = exponent === 0 ? t + 8 : (t + 0x108) << (exponent - 1);
  return a & 0x80 ? t : -t;
}

const PHONE_RATE = 8000;

/** espeak-ng audio of a phrase taken to 8 kHz (as the phone leg carries it). */
async function phone8k(text: string): Promise<Int16Array> {
  const audio = await synthesizeSpokenLine(text, { voice: 'ru' }); // as the simulated callee says it, pauses included
  return resampleLinear(audio.samples, audio.sampleRate, PHONE_RATE);
}

const muLawRoundTrip = (pcm: Int16Array) => Int16Array.from(pcm, (x) => muLawDecode(muLawEncode(x)));

/** Index range of the speech inside the audio (samples above -40 dBFS-ish), i.e. without espeak's silences. */
function speechSpan(pcm: Int16Array): { start: number; end: number } {
  const floor = 300;
  let start = 0;
  let end = pcm.length;
  while (start < pcm.length && Math.abs(pcm[start]!) < floor) start += 1;
  while (end > start && Math.abs(pcm[end - 1]!) < floor) end -= 1;
  return { start, end };
}

function concat(...parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

const fmt = (d: number | undefined) => (d === undefined ? '-' : Number.isFinite(d) ? d.toFixed(2) : 'inf');
const describe_ = (r: Recognition) => `'${r.text}' (${r.reason}; best ${r.best?.text ?? '-'} ${fmt(r.best?.distance)})`;

/** Deterministic noise so the test does not flake. */
function noise(length: number, amplitude: number, seed = 42): Int16Array {
  let state = seed;
  return Int16Array.from({ length }, () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return Math.round(((state / 0x7fffffff) * 2 - 1) * amplitude);
  });
}

describe('emulator phrase-bank recogniser (acoustic matching)', () => {
  let recognizer: PhraseRecognizer;
  const bank = new Map<string, Int16Array>();

  beforeAll(async () => {
    const started = performance.now();
    recognizer = await getPhraseRecognizer();
    const buildMs = performance.now() - started;
    for (const phrase of DEFAULT_PHRASE_BANK) bank.set(phrase, await phone8k(phrase));
    console.log(`phrase bank: ${DEFAULT_PHRASE_BANK.length} phrases, built (espeak-ng + features) in ${buildMs.toFixed(0)} ms`);
  });

  test('the test G.711 codec agrees with the decoder in src (sanity)', () => {
    for (let byte = 0; byte < 256; byte += 1) {
      expect(muLawDecode(byte)).toBe(mulawDecodeSample(byte));
      expect(aLawDecode(byte)).toBe(alawDecodeSample(byte));
    }
    for (const x of [-32768, -1000, -1, 0, 1, 77, 1000, 32767]) {
      expect(Math.abs(muLawDecode(muLawEncode(x)) - x)).toBeLessThanOrEqual(Math.max(8, Math.abs(x) / 16));
      expect(Math.abs(aLawDecode(aLawEncode(x)) - x)).toBeLessThanOrEqual(Math.max(16, Math.abs(x) / 16));
    }
  });

  test('the bank holds every persona line of the simulated callee', () => {
    for (const line of Object.values(PERSONA_LINES).flat()) expect(DEFAULT_PHRASE_BANK).toContain(line);
  });

  test('every bank phrase after an 8 kHz mu-law round trip is recognised (margins printed)', () => {
    const confusions: string[] = [];
    const rows: string[] = [];
    let worstCorrect = 0;
    let nearestWrong = Infinity;
    for (const [phrase, pcm] of bank) {
      const audio = { sampleRate: PHONE_RATE, samples: muLawRoundTrip(pcm) };
      const result = recognizer.recognize(audio);
      const scores = recognizer.score(audio);
      const own = scores.find((s) => s.text === lineText(phrase))!.distance;
      const wrong = scores.find((s) => s.text !== lineText(phrase))!;
      worstCorrect = Math.max(worstCorrect, own);
      nearestWrong = Math.min(nearestWrong, wrong.distance);
      rows.push(`  ${phrase.padEnd(52)} own ${fmt(own)}   nearest other ${fmt(wrong.distance)} (${wrong.text})`);
      if (result.text !== lineText(phrase)) confusions.push(`${phrase} -> ${describe_(result)}`);
    }
    console.log(
      [
        `mu-law 8 kHz round trip, DTW distances (threshold ${DEFAULT_MATCH_THRESHOLD}):`,
        ...rows,
        `worst correct ${fmt(worstCorrect)}, nearest wrong ${fmt(nearestWrong)}`,
        `confusions: ${confusions.length === 0 ? 'none' : confusions.join('; ')}`,
      ].join('\n'),
    );
    expect(confusions).toEqual([]);
    expect(worstCorrect).toBeLessThan(DEFAULT_MATCH_THRESHOLD);
    expect(nearestWrong).toBeGreaterThan(DEFAULT_MATCH_THRESHOLD);
  });

  test('phone-like variations still match: 16 kHz upload, silence padding, low background noise', () => {
    const failures: string[] = [];
    const distances: number[] = [];
    for (const [phrase, pcm] of bank) {
      const padded = concat(new Int16Array(3200), muLawRoundTrip(pcm), new Int16Array(4000));
      const hiss = noise(padded.length, 60);
      const noisy = Int16Array.from(padded, (x, i) => x + hiss[i]!);
      const at16k = resampleLinear(muLawRoundTrip(pcm), PHONE_RATE, 16000);
      for (const audio of [
        { sampleRate: PHONE_RATE, samples: noisy },
        { sampleRate: 16000, samples: at16k },
      ]) {
        const result = recognizer.recognize(audio);
        distances.push(result.best?.distance ?? Infinity);
        if (result.text !== lineText(phrase)) failures.push(`${phrase} @${audio.sampleRate} -> ${describe_(result)}`);
      }
    }
    console.log(`padded/noisy 8 kHz and 16 kHz uploads: worst distance ${fmt(Math.max(...distances))}; failures: ${failures.join('; ') || 'none'}`);
    expect(failures).toEqual([]);
  });

  test('the same espeak-ng voice at another rate or pitch still matches (other voice variants do not)', async () => {
    const lines: string[] = [];
    const failures: string[] = [];
    for (const variant of [
      { rate: 150, pitch: 40 },
      { rate: 200, pitch: 60 },
    ]) {
      let worst = 0;
      for (const phrase of DEFAULT_PHRASE_BANK) {
        const audio = await synthesizeSpokenLine(phrase, { voice: 'ru', ...variant });
        const samples = muLawRoundTrip(resampleLinear(audio.samples, audio.sampleRate, PHONE_RATE));
        const result = recognizer.recognize({ sampleRate: PHONE_RATE, samples });
        worst = Math.max(worst, result.best?.distance ?? Infinity);
        if (result.text !== lineText(phrase)) failures.push(`${JSON.stringify(variant)} ${phrase} -> ${describe_(result)}`);
      }
      lines.push(`rate ${variant.rate} wpm, pitch ${variant.pitch}: worst distance ${fmt(worst)}`);
    }
    const female = await synthesizeWithEspeak('Алло, да, слушаю вас.', { voice: 'ru+f3' });
    const femaleResult = recognizer.recognize({ sampleRate: female.sampleRate, samples: female.samples });
    lines.push(`voice ru+f3 (not in the bank): ${describe_(femaleResult)}`);
    console.log(`voice variations:\n  ${lines.join('\n  ')}`);
    expect(failures).toEqual([]);
  });

  test('a wrong codec is not recognised as the right phrase', () => {
    const mistakes: string[] = [];
    const own: number[] = [];
    for (const [phrase, pcm] of bank) {
      const muBytes = Uint8Array.from(pcm, muLawEncode);
      // mu-law bytes read as little-endian PCM16.
      const asPcm16 = new Int16Array(muBytes.buffer.slice(0, muBytes.length - (muBytes.length % 2)));
      // A-law bytes decoded with the mu-law table.
      const aLawAsMuLaw = Int16Array.from(pcm, (x) => muLawDecode(aLawEncode(x)));
      for (const [label, samples] of [
        ['mu-law as PCM16', asPcm16],
        ['A-law as mu-law', aLawAsMuLaw],
      ] as const) {
        const audio = { sampleRate: PHONE_RATE, samples };
        const result = recognizer.recognize(audio);
        own.push(recognizer.score(audio).find((s) => s.text === lineText(phrase))!.distance);
        if (result.text === lineText(phrase)) mistakes.push(`${label}: ${phrase} -> ${describe_(result)}`);
      }
    }
    console.log(`wrong codec: nearest distance to the phrase actually spoken ${fmt(Math.min(...own))} (threshold ${DEFAULT_MATCH_THRESHOLD}); recognised as the right phrase: ${mistakes.length}`);
    expect(mistakes).toEqual([]);
  });

  test('a phrase clipped to the first 40% of its speech is not recognised as the full phrase', () => {
    const mistakes: string[] = [];
    const report: string[] = [];
    for (const [phrase, pcm] of bank) {
      const { start, end } = speechSpan(pcm);
      const clipped = muLawRoundTrip(pcm.slice(0, start + Math.round((end - start) * 0.4)));
      const result = recognizer.recognize({ sampleRate: PHONE_RATE, samples: clipped });
      if (result.text !== '') report.push(`${phrase} -> '${result.text}' ${fmt(result.best?.distance)}`);
      if (result.text === lineText(phrase)) mistakes.push(`${phrase} -> ${describe_(result)}`);
    }
    console.log(`clipped to 40%: recognised as a (shorter) bank phrase: ${report.join('; ') || 'none'}`);
    expect(mistakes).toEqual([]);
  });

  test('silence, quiet hiss, white noise and a tone give empty text', () => {
    const cases: [string, Int16Array][] = [
      ['silence', new Int16Array(16000)],
      ['quiet hiss', noise(16000, 40)],
      ['white noise', noise(16000, 8000)],
      ['loud white noise', noise(24000, 30000, 7)],
      ['440 Hz tone', Int16Array.from({ length: 16000 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / PHONE_RATE)))],
      ['very short click', concat(new Int16Array(4000), Int16Array.from({ length: 40 }, () => 20000), new Int16Array(4000))],
    ];
    const lines: string[] = [];
    for (const [label, samples] of cases) {
      const result = recognizer.recognize({ sampleRate: PHONE_RATE, samples });
      lines.push(`${label}: ${describe_(result)}`);
      expect(result.text).toBe('');
    }
    console.log(`non-speech:\n  ${lines.join('\n  ')}`);
  });

  test('two phrases spoken back to back are not taken for either of them', () => {
    // Documented behaviour: the concatenation is longer than either part (DTW compares only
    // sequences within a 1.6 length ratio), so it never comes out as one of its parts. It gives ''
    // unless the bank holds a longer phrase that really sounds like it: "Алло, да." + "Кто это?" is
    // recognised as "Алло, кто это?" and "Да, конечно." + "Спасибо." as "Да, всё верно, спасибо."
    // (distance ~3.3, the same range as a correct match through a noisy line).
    const pairs: [string, string][] = [
      ['Да.', 'Нет.'],
      ['Алло.', 'Не знаю.'],
      ['Алло, слушаю.', 'Сложно сказать.'],
      ['Да, конечно.', 'Спасибо.'],
      ['Алло, да.', 'Кто это?'],
      ['Хорошо.', 'До свидания.'],
      ['Нет, спасибо, нам это не интересно.', 'Нет, не надо, всего доброго.'],
    ];
    const lines: string[] = [];
    for (const [first, second] of pairs) {
      const samples = muLawRoundTrip(concat(bank.get(first)!, bank.get(second)!));
      const result = recognizer.recognize({ sampleRate: PHONE_RATE, samples });
      lines.push(`${first} + ${second} -> ${describe_(result)}`);
      expect(result.text).not.toBe(first);
      expect(result.text).not.toBe(second);
    }
    console.log(`concatenations:\n  ${lines.join('\n  ')}`);
  });

  test('recognition is fast once the bank is cached (timings printed)', () => {
    const audios: { sampleRate: number; samples: Int16Array }[] = [...bank.values()].map((pcm) => ({ sampleRate: PHONE_RATE, samples: muLawRoundTrip(pcm) }));
    audios.push({ sampleRate: PHONE_RATE, samples: noise(32000, 8000) });
    for (const audio of audios) recognizer.recognize(audio); // warm-up (JIT)
    const times: number[] = [];
    for (let round = 0; round < 3; round += 1) {
      for (const audio of audios) {
        const started = performance.now();
        recognizer.recognize(audio);
        times.push(performance.now() - started);
      }
    }
    times.sort((a, b) => a - b);
    const mean = times.reduce((a, b) => a + b, 0) / times.length;
    const p95 = times[Math.floor(times.length * 0.95)]!;
    console.log(`recognition time per utterance (features + DTW over the bank): mean ${mean.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, max ${times[times.length - 1]!.toFixed(1)} ms`);
    expect(mean).toBeLessThan(50);
    expect(p95).toBeLessThan(100);
  });
});
