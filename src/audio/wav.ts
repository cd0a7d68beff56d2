import { pcm16FromBuffer, pcm16ToBuffer } from './pcm';

/** A decoded WAV file: mono int16 samples (multi-channel files are averaged to mono). */
export interface WavAudio {
  sampleRate: number;
  samples: Int16Array;
}

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

/** 44-byte canonical RIFF/WAVE header + PCM16 mono data (what STT upload endpoints expect). */
export function encodeWav(samples: Int16Array, sampleRate: number): Buffer {
  const data = pcm16ToBuffer(samples);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16); // fmt chunk size
  header.writeUInt16LE(WAVE_FORMAT_PCM, 20);
  header.writeUInt16LE(1, 22); // channels
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28); // byte rate
  header.writeUInt16LE(2, 32); // block align
  header.writeUInt16LE(16, 34); // bits per sample
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

/**
 * Decodes a PCM16 WAV at any rate. Tolerates streamed headers whose sizes are placeholders
 * (e.g. `espeak-ng --stdout` writes 0x7ffff000): the data chunk is clamped to the bytes present.
 */
export function decodeWav(wav: Buffer): WavAudio {
  if (wav.length < 12 || wav.toString('ascii', 0, 4) !== 'RIFF' || wav.toString('ascii', 8, 12) !== 'WAVE') {
    throw new Error('not a RIFF/WAVE file');
  }
  let fmt: { format: number; channels: number; sampleRate: number; bits: number } | undefined;
  for (let offset = 12; offset + 8 <= wav.length; ) {
    const id = wav.toString('ascii', offset, offset + 4);
    const size = wav.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      fmt = {
        format: wav.readUInt16LE(body),
        channels: wav.readUInt16LE(body + 2),
        sampleRate: wav.readUInt32LE(body + 4),
        bits: wav.readUInt16LE(body + 14),
      };
      // WAVE_FORMAT_EXTENSIBLE: the real format tag is the first 2 bytes of the sub-format GUID.
      if (fmt.format === WAVE_FORMAT_EXTENSIBLE && size >= 40) fmt.format = wav.readUInt16LE(body + 24);
    } else if (id === 'data') {
      if (!fmt) throw new Error('WAV data chunk before fmt chunk');
      if (fmt.format !== WAVE_FORMAT_PCM || fmt.bits !== 16) {
        throw new Error(`unsupported WAV format ${fmt.format} / ${fmt.bits} bits (PCM16 only)`);
      }
      const interleaved = pcm16FromBuffer(wav.subarray(body, Math.min(body + size, wav.length)));
      return { sampleRate: fmt.sampleRate, samples: downmix(interleaved, Math.max(1, fmt.channels)) };
    }
    offset = body + size + (size & 1); // chunks are word aligned
  }
  throw new Error('WAV has no data chunk');
}

function downmix(interleaved: Int16Array, channels: number): Int16Array {
  if (channels === 1) return interleaved;
  const mono = new Int16Array(Math.floor(interleaved.length / channels));
  for (let i = 0; i < mono.length; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += interleaved[i * channels + c] ?? 0;
    mono[i] = Math.round(sum / channels);
  }
  return mono;
}
