import { execFileSync } from 'node:child_process';
import { decodeWav, type WavAudio } from '../../src/audio/wav';

/** Russian speech synthesised by Debian's espeak-ng (22050 Hz mono): real phonetics, deterministic output. */
export function synthesizeRussian(text: string, options: { wordsPerMinute?: number } = {}): WavAudio {
  let wav: Buffer;
  try {
    wav = execFileSync('espeak-ng', ['-v', 'ru', '-s', String(options.wordsPerMinute ?? 160), '--stdout', text], { maxBuffer: 64 << 20 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('espeak-ng is not installed: run scripts/ensure-system-deps.sh (it apt-installs espeak-ng) and re-run the audio tests');
    }
    throw err;
  }
  return decodeWav(wav);
}
