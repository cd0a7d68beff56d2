/**
 * Our user agent against SIPp (Debian sip-tester) playing the callee: each scenario file under
 * scenarios/ fixes what the far end sends and checks what it receives; SIPp exits 0 only when the
 * whole exchange happened as written (ACKs, CANCEL, BYE and their answers included).
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { mulawDecode, mulawEncode } from '../../../src/audio/g711';
import { createFramePacer } from '../../../src/audio/frame-pacer';
import type { SipCall, SipCallEvent, SipUserAgent } from '../../../src/telephony/sip';
import { analyseTone, sineWave } from './support/audio';
import { PEER_ADDRESS, type Sipp, startSipp } from './support/peers';
import { removeTempDirs, startUserAgent, tempDir, waitFor } from './support/ua';

jest.setTimeout(20_000);

let sipp: Sipp | undefined;
let ua: SipUserAgent | undefined;

afterEach(async () => {
  await ua?.close();
  await sipp?.stop();
  ua = undefined;
  sipp = undefined;
  await removeTempDirs();
});

function recordEvents(call: SipCall): SipCallEvent[] {
  const events: SipCallEvent[] = [];
  call.on('progress', (event) => events.push(event));
  return events;
}

async function expectSippPassed(peer: Sipp): Promise<void> {
  const exit = await peer.exit;
  if (exit.code !== 0) throw new Error(`sipp exited with ${exit.code ?? exit.signal}; output:\n${exit.output.slice(-3000)}`);
}

test('digest-challenged INVITE: rings once, answered on PCMU, audio both ways, our BYE ends it', async () => {
  const work = await tempDir('auth-answer');
  // SIPp streams the file's bytes as they are (no WAV header parsing): raw mu-law, 3 s of 1 kHz.
  const calleeAudio = path.join(work, 'callee-1khz.ulaw');
  await writeFile(calleeAudio, mulawEncode(sineWave(1000, 8000, 3000)));
  sipp = await startSipp({ scenario: 'uas-auth-answer.xml', workDir: work, keys: { audio: `${calleeAudio},1,0` }, rtpEcho: true });
  ua = await startUserAgent({ server: { host: PEER_ADDRESS, port: sipp.port } });

  const call = ua.dial({ callId: 'call-auth', number: '79990000001', ringTimeoutSec: 10 });
  const events = recordEvents(call);
  const heard: Buffer[] = [];
  let missing = 0;
  call.onAudio((payload, missingBefore) => {
    heard.push(Buffer.from(payload));
    missing += missingBefore;
  });

  await waitFor(() => call.state === 'confirmed', 'the call to be answered');
  expect(call.format).toEqual({ encoding: 'mulaw', sampleRate: 8000 });

  // One second of 440 Hz from us, paced on the project's drift-free 20 ms clock.
  const pacer = createFramePacer({ send: (frame) => call.sendFrame(frame) });
  const tone = mulawEncode(sineWave(440, 8000, 1000));
  for (let offset = 0; offset < tone.length; offset += 160) pacer.enqueue(tone.subarray(offset, offset + 160));
  await pacer.whenDrained();
  await waitFor(() => heard.length >= 50, 'a second of the callee audio');

  await call.hangUp();
  await expectSippPassed(sipp);

  // The duplicate 180 was absorbed: ringing once; then answered; then our hang-up.
  expect(events.map((e) => e.type)).toEqual(['ringing', 'answered', 'hangup']);
  expect(events[2]).toMatchObject({ type: 'hangup', by: 'local' });
  // What we received is the callee's 1 kHz tone, every payload a 20 ms G.711 frame, none lost on loopback.
  expect(heard.every((p) => p.length === 160)).toBe(true);
  const analysis = analyseTone(mulawDecode(Buffer.concat(heard)), 8000);
  expect(analysis.dominantHz).toBe(1000);
  expect(analysis.purity).toBeGreaterThan(0.9);
  expect(missing).toBe(0);
  // SIPp echoed our RTP back from the port its SDP named: it arrived there.
  const stats = call.rtpStats();
  expect(stats?.send.sent).toBeGreaterThanOrEqual(50);
  expect(stats?.looped).toBeGreaterThanOrEqual(Math.floor(0.9 * (stats?.send.sent ?? 0)));
});

test('busy callee (486): reported as busy after ringing, and the 486 is ACKed', async () => {
  const work = await tempDir('busy');
  sipp = await startSipp({ scenario: 'uas-busy.xml', workDir: work });
  ua = await startUserAgent({ server: { host: PEER_ADDRESS, port: sipp.port } });

  const call = ua.dial({ callId: 'call-busy', number: '79990000002', ringTimeoutSec: 10 });
  const events = recordEvents(call);
  const outcome = await call.finished;
  await expectSippPassed(sipp);

  expect(outcome).toEqual({ type: 'busy', status: 486, reason: '486 Busy Here' });
  expect(events.map((e) => e.type)).toEqual(['ringing', 'busy']);
  expect(call.format).toBeUndefined();
});

test('no answer: our ring timeout CANCELs, the 487 is ACKed, reported as no_answer', async () => {
  const work = await tempDir('no-answer');
  sipp = await startSipp({ scenario: 'uas-no-answer.xml', workDir: work });
  ua = await startUserAgent({ server: { host: PEER_ADDRESS, port: sipp.port } });

  const call = ua.dial({ callId: 'call-no-answer', number: '79990000003', ringTimeoutSec: 1 });
  const events = recordEvents(call);
  const outcome = await call.finished;
  await expectSippPassed(sipp); // SIPp got the CANCEL with the INVITE's branch, and the ACK for its 487
  await call.closed;

  expect(outcome).toEqual({ type: 'no_answer', reason: 'ring timeout after 1 s' });
  expect(events.map((e) => e.type)).toEqual(['ringing', 'no_answer']);
});

test('remote hang-up: the callee BYE is answered 200 and reported; a BYE for an unknown dialog gets 481', async () => {
  const work = await tempDir('remote-bye');
  sipp = await startSipp({ scenario: 'uas-remote-hangup.xml', workDir: work });
  ua = await startUserAgent({ server: { host: PEER_ADDRESS, port: sipp.port } });

  const call = ua.dial({ callId: 'call-remote-bye', number: '79990000008', ringTimeoutSec: 10 });
  const events = recordEvents(call);
  const outcome = await call.finished;
  await expectSippPassed(sipp);

  expect(outcome).toEqual({ type: 'hangup', by: 'remote', reason: 'remote hang-up (BYE)' });
  // The callee preferred PCMA (first in its answer): that is what we use.
  expect(call.format).toEqual({ encoding: 'alaw', sampleRate: 8000 });
  expect(events.map((e) => e.type)).toEqual(['ringing', 'answered', 'hangup']);
  // Hanging up an ended call is a no-op: nothing more is sent.
  await call.hangUp();
  expect(call.state).toBe('terminated');
});
