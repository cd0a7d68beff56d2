import { decodeFrame, encodeFrame, rms, type MediaFormat } from '../../../src/audio';
import { CalleeVoice } from '../../../src/telephony/simulated/callee-voice';

// The benchmark's voice-to-voice comes from the virtual callee's own ear: from the end of the last
// audible frame it sent to the first operator frame it received.
const format: MediaFormat = { encoding: 'mulaw', sampleRate: 8000 };
const loudFrame = () => {
  const pcm = new Int16Array(160);
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000));
  return encodeFrame(format, pcm);
};

test('an answer is timed from the end of the callee speech to the first operator frame', async () => {
  const voice = new CalleeVoice({ format, onOperatorPhraseEnd: () => undefined });
  await voice.say('Алло, да, слушаю вас.');
  const sent: Buffer[] = [];
  let now = 1000;
  while (voice.speaking) {
    sent.push(voice.nextFrame(now));
    now += 20;
  }
  voice.nextFrame(now); // the first frame of silence after the phrase: now it waits for the answer
  const lastAudible = sent.map((frame) => rms(decodeFrame(format, frame))).findLastIndex((level) => level >= 20);
  expect(lastAudible).toBeGreaterThan(20); // a phrase of about a second or more
  const speechEnd = 1000 + (lastAudible + 1) * 20;

  voice.hear(loudFrame(), now + 700);
  voice.hear(loudFrame(), now + 720);
  const report = voice.earReport();
  expect(report.replies).toHaveLength(1); // one answer, not one per frame
  expect(report.replies[0]!.replyHeardAtMs - report.replies[0]!.speechEndedAtMs).toBeCloseTo(now + 700 - speechEnd, 6);
});

test('operator audio heard while the callee is still talking is not an answer', async () => {
  const voice = new CalleeVoice({ format, onOperatorPhraseEnd: () => undefined });
  await voice.say('Алло.');
  voice.nextFrame(0);
  voice.hear(loudFrame(), 10);
  expect(voice.earReport().replies).toHaveLength(0);
});

test('frame arrival jitter is binned by millisecond and long pauses inside a phrase are counted as gaps', () => {
  const voice = new CalleeVoice({ format, onOperatorPhraseEnd: () => undefined });
  let at = 0;
  for (const interval of [0, 20, 20, 25, 20, 90, 20, 2000, 20]) voice.hear(loudFrame(), (at += interval));
  const report = voice.earReport();
  expect(report.framesHeard).toBe(9);
  expect(report.arrivalJitterMs[0]).toBe(5); // the 20 ms intervals (the 2 s pause starts a new burst)
  expect(report.arrivalJitterMs[5]).toBe(1);
  expect(report.arrivalJitterMs[70]).toBe(1);
  expect(report.audibleGaps).toBe(1);
});
