import { synthesizeWithEspeak, type EspeakAudio, type EspeakOptions } from './espeak';

/**
 * A simulated callee's line may pause mid-phrase, written `first part | second part`: the parts are
 * voiced separately with PAUSE_MS of silence between them, as a hesitating person would say them.
 */
export const PAUSE_MARK = ' | ';
export const PAUSE_MS = 350;

/** The line as text (what a listener would write down). */
export function lineText(line: string): string {
  return line.split(PAUSE_MARK).join(' ').replace(/\s+/g, ' ').trim();
}

/** Voices a line, pauses included. */
export async function synthesizeSpokenLine(line: string, options: EspeakOptions): Promise<EspeakAudio> {
  const parts = line.split(PAUSE_MARK).map((part) => part.trim()).filter((part) => part !== '');
  if (parts.length <= 1) return synthesizeWithEspeak(lineText(line), options);
  // eSpeak pads each utterance with silence; trimmed so the pause between the parts is PAUSE_MS.
  const voiced = (await Promise.all(parts.map((part) => synthesizeWithEspeak(part, options)))).map((audio, i, all) => ({
    ...audio,
    samples: trimSilence(audio.samples, { start: i > 0, end: i < all.length - 1 }),
  }));
  const sampleRate = voiced[0]!.sampleRate;
  const pause = Math.round((PAUSE_MS * sampleRate) / 1000);
  const total = voiced.reduce((sum, audio) => sum + audio.samples.length, 0) + pause * (voiced.length - 1);
  const samples = new Int16Array(total);
  let offset = 0;
  voiced.forEach((audio, i) => {
    samples.set(audio.samples, offset);
    offset += audio.samples.length + (i < voiced.length - 1 ? pause : 0);
  });
  return { ...voiced[0]!, samples };
}

/** Drops near-silent samples at the chosen ends (below -50 dBFS, the synthesiser's padding). */
function trimSilence(samples: Int16Array, ends: { start: boolean; end: boolean }): Int16Array {
  const QUIET = 100;
  let from = 0;
  let to = samples.length;
  if (ends.start) while (from < to && Math.abs(samples[from]!) < QUIET) from += 1;
  if (ends.end) while (to > from && Math.abs(samples[to - 1]!) < QUIET) to -= 1;
  return samples.subarray(from, to);
}
