/**
 * The gateway's per-call pipeline with a scripted detector (loud = speech): the preemptive reply is
 * held until the end of the phrase is confirmed and dropped when the callee goes on; the parts of a
 * reply reach the line in their order even when their requests arrive the other way round.
 */
import { encodeFrame, type MediaFormat, type SileroModel, type VoiceActivityDetector } from '../../src/audio';
import { pcm16FromBuffer, rms, silence } from '../../src/audio/pcm';
import { createLogger } from '../../src/logging/logger';
import { CallAudioPipeline, type CalleeUtteranceReport } from '../../src/media-gateway/call-audio-pipeline';
import type { DeclaredMediaFormat, MediaLeg } from '../../src/media-gateway/media-session';
import { tone } from '../audio/signals';

const CALL = '5d2f7a10-3c4b-4e5f-8a9b-0c1d2e3f4a5b';
const PCM8K: MediaFormat = { encoding: 'pcm16', sampleRate: 8000 };

const loudnessModel: SileroModel = {
  createDetector: (sampleRate): VoiceActivityDetector => ({
    sampleRate,
    frameSamples: sampleRate === 8000 ? 256 : 512,
    probability: (frame) => (rms(frame) > 1000 ? 0.9 : 0.05),
  }),
  release: async () => undefined,
};

class RecordingLeg implements MediaLeg {
  readonly callId = CALL;
  format: DeclaredMediaFormat = { encoding: 'PCM16', sampleRate: 8000 };
  readonly logger = createLogger({ level: 'silent' });
  readonly open = true;
  /** Level (RMS) of every frame sent to the line. */
  readonly sent: number[] = [];
  sendAudio(payload: Buffer): void {
    this.sent.push(Math.round(rms(pcm16FromBuffer(payload))));
  }
  clear(): void {}
  close(): void {}
}

function setUp() {
  const utterances: CalleeUtteranceReport[] = [];
  const pipeline = new CallAudioPipeline({
    vad: loudnessModel,
    logger: createLogger({ level: 'silent' }),
    endpointing: { silenceMs: 500, minSpeechMs: 150, tentativeSilenceMs: 200 },
    listener: { onUtterance: async (_callId, utterance) => void utterances.push(utterance) },
  });
  const leg = new RecordingLeg();
  pipeline.onStart(leg);
  const speak = async (kind: 'speech' | 'silence', ms: number) => {
    const pcm = kind === 'speech' ? tone(440, 8000, ms, 0.3) : silence(ms, 8000);
    for (let i = 0; i < pcm.length; i += 160) pipeline.onAudio(leg, encodeFrame(PCM8K, pcm.subarray(i, i + 160)), 0);
    await new Promise((resolve) => setTimeout(resolve, 50)); // frames are processed in order, asynchronously
  };
  return { pipeline, leg, utterances, speak };
}

/** 200 ms of constant-level "assistant audio" at 8 kHz. */
async function* level(value: number): AsyncGenerator<Int16Array> {
  yield new Int16Array(1600).fill(value);
}

test('a reply to a provisional phrase waits for the end to be confirmed; if the callee goes on it is never played', async () => {
  const { pipeline, leg, utterances, speak } = setUp();
  await speak('speech', 700);
  await speak('silence', 260); // past the 200 ms early pause, before the 500 ms end
  expect(utterances).toHaveLength(1);
  expect(utterances[0]).toMatchObject({ tentative: true });
  // The phrase's audio stays in this process for the turn: ~700 ms of the tone, none of it written anywhere.
  const kept = pipeline.phraseAudio(CALL, utterances[0]!.utteranceId)!;
  expect(kept.sampleRate).toBe(8000);
  expect(kept.pcm.length / 8).toBeGreaterThan(600);
  expect(rms(kept.pcm)).toBeGreaterThan(1000);
  const early = pipeline.play(CALL, level(3000), 8000, { answering: utterances[0]!.utteranceId });
  await speak('speech', 500); // the callee goes on
  await expect(early).resolves.toMatchObject({ superseded: true, playedMs: 0 });
  expect(leg.sent).toEqual([]);

  await speak('silence', 260);
  expect(utterances[1]).toMatchObject({ tentative: true, supersedes: utterances[0]!.utteranceId }); // the whole phrase
  const reply = pipeline.play(CALL, level(3000), 8000, { answering: utterances[1]!.utteranceId });
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(leg.sent).toEqual([]); // held: 500 ms of silence not reached yet
  await speak('silence', 400); // now the end is confirmed
  await expect(reply).resolves.toMatchObject({ superseded: false, playedMs: 200 });
  expect(leg.sent.length).toBe(10);
});

test('the parts of one reply go on the line in their order, whichever request comes first', async () => {
  const { pipeline, leg } = setUp();
  const second = pipeline.play(CALL, level(6000), 8000, { part: { turn: 't1', index: 1 } });
  await new Promise((resolve) => setTimeout(resolve, 50));
  const first = pipeline.play(CALL, level(2000), 8000, { part: { turn: 't1', index: 0 } });
  await Promise.all([first, second]);
  expect(leg.sent).toHaveLength(20);
  expect(leg.sent.slice(0, 10).every((l) => Math.abs(l - 2000) < 50)).toBe(true);
  expect(leg.sent.slice(10).every((l) => Math.abs(l - 6000) < 50)).toBe(true);
});
