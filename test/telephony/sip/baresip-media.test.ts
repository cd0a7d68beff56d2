/**
 * RTP well-formedness against a real softphone: baresip (Debian baresip-core) auto-answers on
 * PCMA, plays a 1 kHz WAV into the call and records what it decodes from our RTP
 * (sndfile: dump-*-dec.wav). We send a 440 Hz tone; the recording must hold that tone, clean
 * and for as long as we sent it, and what we receive must be baresip's 1 kHz.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createFramePacer } from '../../../src/audio/frame-pacer';
import { alawDecode, alawEncode } from '../../../src/audio/g711';
import { decodeWav, encodeWav } from '../../../src/audio/wav';
import type { SipUserAgent } from '../../../src/telephony/sip';
import { analyseTone, loudWindows, sineWave } from './support/audio';
import { type Baresip, PEER_ADDRESS, startBaresip } from './support/peers';
import { removeTempDirs, startUserAgent, tempDir, waitFor } from './support/ua';

jest.setTimeout(20_000);

let baresip: Baresip | undefined;
let ua: SipUserAgent | undefined;

afterEach(async () => {
  await ua?.close();
  baresip?.close();
  await baresip?.stop();
  ua = undefined;
  baresip = undefined;
  await removeTempDirs();
});

const SENT_MS = 2500;

test('baresip answers on PCMA, hears our 440 Hz tone intact, and we hear its 1 kHz source', async () => {
  const work = await tempDir('baresip');
  // The source runs longer than the call: aufile ending would end baresip's audio early.
  const source = path.join(work, 'callee-1khz.wav');
  await writeFile(source, encodeWav(sineWave(1000, 8000, 20_000), 8000));
  baresip = await startBaresip({ workDir: work, sourceWav: source, codecs: 'PCMA' });
  ua = await startUserAgent({
    server: { host: PEER_ADDRESS, port: baresip.sipPort },
    domain: `${PEER_ADDRESS}:${baresip.sipPort}`,
    codecs: ['PCMU', 'PCMA'],
  });

  const call = ua.dial({ callId: 'call-baresip', number: 'bot', ringTimeoutSec: 10 });
  const heard: Buffer[] = [];
  call.onAudio((payload) => heard.push(Buffer.from(payload)));
  await waitFor(() => call.state === 'confirmed', 'baresip to answer');
  await baresip.nextEvent('CALL_ESTABLISHED');
  // baresip accepts only PCMA: the second codec of our offer is the one negotiated.
  expect(call.format).toEqual({ encoding: 'alaw', sampleRate: 8000 });

  const pacer = createFramePacer({ send: (frame) => call.sendFrame(frame) });
  const tone = alawEncode(sineWave(440, 8000, SENT_MS));
  for (let offset = 0; offset < tone.length; offset += 160) pacer.enqueue(tone.subarray(offset, offset + 160));
  await pacer.whenDrained();
  await new Promise((resolve) => setTimeout(resolve, 200)); // let the last frames reach baresip's jitter buffer
  await call.hangUp();
  await baresip.nextEvent('CALL_CLOSED');
  await baresip.stop(); // flushes and closes the recordings

  const dumps = (await readdir(work)).filter((name) => /^dump-.*-dec\.wav$/.test(name));
  expect(dumps).toHaveLength(1);
  const recording = decodeWav(await readFile(path.join(work, dumps[0] ?? '')));
  expect(recording.sampleRate).toBe(8000);
  const recorded = analyseTone(recording.samples, recording.sampleRate);
  expect(recorded.dominantHz).toBe(440);
  // Mostly that one tone (the rest is the silence around it): a mangled RTP stream (wrong law,
  // byte order, payload offset, timestamps) would smear it.
  const loud = loudWindows(recording.samples, recording.sampleRate, 3000);
  const frames = SENT_MS / 20;
  expect(loud).toBeGreaterThanOrEqual(Math.floor(0.9 * frames));
  expect(loud).toBeLessThanOrEqual(frames + 5);
  const toneOnly = analyseTone(onlyLoud(recording.samples, 3000), 8000);
  expect(toneOnly.dominantHz).toBe(440);
  expect(toneOnly.purity).toBeGreaterThan(0.9);

  // What baresip played reached us as A-law payloads of its 1 kHz source.
  expect(heard.length).toBeGreaterThanOrEqual(100);
  const received = analyseTone(alawDecode(Buffer.concat(heard.slice(10))), 8000);
  expect(received.dominantHz).toBe(1000);
  expect(received.purity).toBeGreaterThan(0.9);
});

/** The 20 ms windows above the threshold, concatenated. */
function onlyLoud(samples: Int16Array, threshold: number): Int16Array {
  const size = 160;
  const kept: number[] = [];
  for (let start = 0; start + size <= samples.length; start += size) {
    const window = samples.subarray(start, start + size);
    let sum = 0;
    for (const s of window) sum += s * s;
    if (Math.sqrt(sum / size) > threshold) kept.push(...window);
  }
  return Int16Array.from(kept);
}
