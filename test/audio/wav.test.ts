import { decodeWav, encodeWav } from '../../src/audio/wav';
import { synthesizeRussian } from './speech-fixture';
import { tone } from './signals';

describe('WAV', () => {
  it('writes a canonical 44-byte PCM16 mono header and reads it back', () => {
    const samples = tone(440, 16000, 100);
    const wav = encodeWav(samples, 16000);
    expect(wav).toHaveLength(44 + samples.length * 2);
    expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
    expect(wav.readUInt32LE(4)).toBe(wav.length - 8);
    expect(wav.readUInt16LE(20)).toBe(1); // PCM
    expect(wav.readUInt16LE(22)).toBe(1); // mono
    expect(wav.readUInt32LE(24)).toBe(16000);
    expect(wav.readUInt32LE(28)).toBe(32000);
    expect(wav.readUInt16LE(34)).toBe(16);
    expect(wav.readUInt32LE(40)).toBe(samples.length * 2);
    expect(decodeWav(wav)).toEqual({ sampleRate: 16000, samples });
  });

  it('skips unknown chunks and averages stereo to mono', () => {
    const mono = encodeWav(Int16Array.of(0, 0), 8000);
    const fmt = Buffer.from(mono.subarray(12, 36));
    fmt.writeUInt16LE(2, 10); // channels
    fmt.writeUInt16LE(4, 20); // block align
    const list = Buffer.concat([Buffer.from('LIST'), Buffer.from([3, 0, 0, 0]), Buffer.from('abc'), Buffer.from([0])]); // odd size + pad byte
    const data = Buffer.alloc(8 + 8);
    data.write('data', 0, 'ascii');
    data.writeUInt32LE(8, 4);
    [100, 300, -50, -150].forEach((v, i) => data.writeInt16LE(v, 8 + i * 2));
    const wav = Buffer.concat([Buffer.from('RIFF\0\0\0\0WAVE', 'latin1'), fmt, list, data]);
    expect(decodeWav(wav)).toEqual({ sampleRate: 8000, samples: Int16Array.of(200, -100) });
  });

  it('rejects non-WAV input and non-PCM16 data', () => {
    expect(() => decodeWav(Buffer.from('not a wav file at all'))).toThrow(/RIFF/);
    const float = encodeWav(Int16Array.of(1), 8000);
    float.writeUInt16LE(3, 20); // IEEE float
    expect(() => decodeWav(float)).toThrow(/PCM16 only/);
  });

  it('reads espeak-ng output (streamed header with placeholder sizes)', () => {
    const speech = synthesizeRussian('Проверка связи.');
    expect(speech.sampleRate).toBe(22050);
    expect(speech.samples.length / speech.sampleRate).toBeGreaterThan(0.5);
    expect(speech.samples.length / speech.sampleRate).toBeLessThan(3);
  });
});
