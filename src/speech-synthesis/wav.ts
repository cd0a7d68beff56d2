/**
 * A small RIFF/WAVE reader and writer for the speech stand-ins (espeak-ng output, the OpenAI
 * emulator's uploads and responses). Mono 16-bit PCM out; reads PCM 8/16/24/32-bit, float32 and
 * G.711 (A-law 6, mu-law 7), mixing channels down to mono. Not part of the production audio path;
 * writing WAV and G.711 themselves live in src/audio.
 */
import { alawDecodeSample, mulawDecodeSample } from '../audio/g711';

export interface PcmAudio {
  sampleRate: number;
  samples: Int16Array;
}

/** Size espeak-ng (and streaming writers) put in the RIFF/data headers when the length is unknown. */
const STREAMING_SIZES = new Set([0xffffffff, 0x7ffff024, 0x7ffff000, 0]);

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_ALAW = 6;
const FORMAT_MULAW = 7;
const FORMAT_EXTENSIBLE = 0xfffe;

export class WavFormatError extends Error {
  override name = 'WavFormatError';
}

export function isWav(bytes: Uint8Array): boolean {
  if (bytes.length < 12) return false;
  const tag = (offset: number) => String.fromCharCode(bytes[offset]!, bytes[offset + 1]!, bytes[offset + 2]!, bytes[offset + 3]!);
  return tag(0) === 'RIFF' && tag(8) === 'WAVE';
}

/** Parses a WAV file into mono Int16 samples. A data chunk whose size overruns the file is cut to the file. */
export function parseWav(bytes: Uint8Array): PcmAudio {
  if (!isWav(bytes)) throw new WavFormatError('not a RIFF/WAVE file');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (offset: number) => String.fromCharCode(bytes[offset]!, bytes[offset + 1]!, bytes[offset + 2]!, bytes[offset + 3]!);
  let offset = 12;
  let format: { code: number; channels: number; sampleRate: number; bits: number; blockAlign: number } | undefined;
  while (offset + 8 <= bytes.length) {
    const id = tag(offset);
    let size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > bytes.length) throw new WavFormatError('fmt chunk too short');
      let code = view.getUint16(body, true);
      if (code === FORMAT_EXTENSIBLE && size >= 40) code = view.getUint16(body + 24, true);
      format = {
        code,
        channels: view.getUint16(body + 2, true),
        sampleRate: view.getUint32(body + 4, true),
        blockAlign: view.getUint16(body + 12, true),
        bits: view.getUint16(body + 14, true),
      };
    } else if (id === 'data') {
      if (!format) throw new WavFormatError('data chunk before fmt chunk');
      if (STREAMING_SIZES.has(size) || body + size > bytes.length) size = bytes.length - body;
      return { sampleRate: format.sampleRate, samples: decodeFrames(bytes.subarray(body, body + size), format) };
    }
    offset = body + size + (size % 2);
  }
  throw new WavFormatError('no data chunk');
}

function decodeFrames(
  data: Uint8Array,
  format: { code: number; channels: number; sampleRate: number; bits: number; blockAlign: number },
): Int16Array {
  const { code, channels, bits } = format;
  if (channels < 1 || format.sampleRate < 1) throw new WavFormatError('bad channel count or sample rate');
  const bytesPerSample = bits / 8;
  if (!Number.isInteger(bytesPerSample) || bytesPerSample < 1) throw new WavFormatError(`unsupported bit depth ${bits}`);
  const blockAlign = format.blockAlign || bytesPerSample * channels;
  const frames = Math.floor(data.length / blockAlign);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let read: (at: number) => number;
  if (code === FORMAT_PCM && bits === 16) read = (at) => view.getInt16(at, true);
  else if (code === FORMAT_PCM && bits === 8) read = (at) => (view.getUint8(at) - 128) << 8;
  else if (code === FORMAT_PCM && bits === 24) read = (at) => (view.getInt8(at + 2) << 8) | view.getUint8(at + 1);
  else if (code === FORMAT_PCM && bits === 32) read = (at) => view.getInt32(at, true) >> 16;
  else if (code === FORMAT_FLOAT && bits === 32) read = (at) => Math.round(Math.max(-1, Math.min(1, view.getFloat32(at, true))) * 32767);
  else if (code === FORMAT_MULAW && bits === 8) read = (at) => mulawDecodeSample(view.getUint8(at));
  else if (code === FORMAT_ALAW && bits === 8) read = (at) => alawDecodeSample(view.getUint8(at));
  else throw new WavFormatError(`unsupported WAV encoding (format ${code}, ${bits} bits)`);
  const out = new Int16Array(frames);
  for (let frame = 0; frame < frames; frame += 1) {
    let sum = 0;
    for (let channel = 0; channel < channels; channel += 1) sum += read(frame * blockAlign + channel * bytesPerSample);
    out[frame] = Math.round(sum / channels);
  }
  return out;
}

/** The 44-byte header of a mono 16-bit PCM WAV; `dataBytes` 0xffffffff marks an unknown (streamed) length. */
export function wavHeader(sampleRate: number, dataBytes: number): Buffer {
  const header = Buffer.alloc(44);
  const streaming = dataBytes >= 0xffffffff - 36;
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(streaming ? 0xffffffff : 36 + dataBytes, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(FORMAT_PCM, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(streaming ? 0xffffffff : dataBytes, 40);
  return header;
}
