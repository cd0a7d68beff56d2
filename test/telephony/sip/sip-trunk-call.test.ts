/**
 * A SIP trunk end to end: SIPp plays the callee (answers on PCMU, speaks a Russian phrase over RTP,
 * hangs up with BYE), our user agent runs inside the media gateway, and the call goes through the
 * whole service: Temporal workflow, VAD on the RTP audio, STT/LLM/TTS (OpenAI emulator), the reply
 * paced back as RTP, and one results row.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { concatPcm, createResampler } from '../../../src/audio';
import { mulawEncode } from '../../../src/audio/g711';
import { synthesizeSpokenLine } from '../../../src/speech-synthesis';
import { freeUdpPort, PEER_ADDRESS, startSipp, UA_ADDRESS, type Sipp } from './support/peers';
import { removeTempDirs, tempDir } from './support/ua';
import { startTestStack, type TestStack } from '../../support/test-stack';

const PHRASE = 'Да, интересно, расскажите подробнее.';
let sipp: Sipp | undefined;
let t: TestStack | undefined;
afterAll(async () => {
  await t?.stop();
  await sipp?.stop();
  await removeTempDirs();
});

/** Raw mu-law 8 kHz (SIPp streams file bytes as they are): silence through the greeting, the phrase, silence. */
async function calleeAudio(file: string): Promise<void> {
  const voice = await synthesizeSpokenLine(PHRASE, { voice: 'ru' });
  const resampler = createResampler(voice.sampleRate, 8000);
  const phrase = concatPcm([resampler.push(voice.samples), resampler.flush()]);
  await writeFile(file, mulawEncode(concatPcm([new Int16Array(8 * 6500), phrase, new Int16Array(8 * 8000)])));
}

test('a call over a SIP trunk: dialed, answered, the callee heard over RTP and answered in speech, hung up by the callee, one row', async () => {
  const work = await tempDir('trunk-call');
  const audio = path.join(work, 'callee.ulaw');
  await calleeAudio(audio);
  sipp = await startSipp({ scenario: 'uas-conversation.xml', workDir: work, keys: { audio: `${audio},1,0` }, timeoutSec: 60 });
  const rtpPort = await freeUdpPort(UA_ADDRESS, 20);
  t = await startTestStack({
    env: {
      TELEPHONY_PROVIDER: 'sip',
      TELEPHONY_CONFIG: JSON.stringify({
        preset: 'asterisk',
        host: PEER_ADDRESS,
        port: sipp.port,
        username: 'bot',
        register: false,
        localAddress: UA_ADDRESS,
        rtpPortMin: rtpPort,
        rtpPortMax: rtpPort + 19,
        natKeepAliveSec: 0,
      }),
      TELEPHONY_API_KEY: 'sip-trunk-password',
    },
    limits: { maxConversationSec: 60 },
  });

  const callId = await t.placeCall('+79990000001');
  const session = await t.waitForEnd(callId);

  expect(session.status).toBe('completed');
  expect(session.end_reason).toBe('hangup'); // the callee's BYE ended it
  const users = session.transcript.filter((turn) => turn.speaker === 'user');
  expect(users.map((turn) => turn.text)).toEqual([PHRASE]); // heard through RTP -> VAD -> STT
  const heardAt = session.transcript.findIndex((turn) => turn.speaker === 'user');
  expect(session.transcript[heardAt + 1]?.speaker).toBe('assistant');
  expect(session.turn_metrics?.[0]?.voice_to_voice_ms).toEqual(expect.any(Number)); // the reply reached the line
  expect(session.greeting_ms).toEqual(expect.any(Number));

  const events = t.logs.filter((l) => l.msg === 'telephony event' && l.call_id === callId && l.provider === 'sip').map((l) => l.event);
  expect(events).toEqual(['ringing', 'answered', 'hangup']);
  // RTP both ways: our speech (greeting + reply: seconds of 20 ms packets), the callee's ~17 s of audio in.
  const ended = t.logs.find((l) => l.msg === 'sip call media summary' && l.call_id === callId) as { frames_out?: number; frames_in?: number } | undefined;
  expect(ended?.frames_out).toBeGreaterThan(200);
  expect(ended?.frames_in).toBeGreaterThan(300);
  expect((await sipp.exit).code).toBe(0);
  expect((await t.rows()).filter((row) => row.call_id === callId)).toHaveLength(1);
  expect(t.rawLogs.join('\n')).not.toContain('sip-trunk-password');
}, 120_000);
