import dgram from 'node:dgram';
import { alawDecode, alawEncode, mulawEncode } from '../../../src/audio/g711';
import { sineWave } from './support/audio';
import { decodeRtp, encodeRtp, sequenceDelta } from '../../../src/telephony/sip/rtp-packet';
import { RtpReceiveTracker } from '../../../src/telephony/sip/rtp-receive-tracker';
import { RtpSession } from '../../../src/telephony/sip/rtp-session';
import { silentLogger } from '../../../src/telephony/sip/logger';
import { waitFor } from './support/ua';

jest.setTimeout(20_000);

describe('RTP header (RFC 3550 5.1)', () => {
  test('encodes V=2, marker, payload type, sequence, timestamp, SSRC in network order', () => {
    const packet = encodeRtp({ payloadType: 8, sequence: 0x1234, timestamp: 0xdeadbeef, ssrc: 0x01020304, marker: true, payload: Buffer.from([1, 2, 3]) });
    expect([...packet]).toEqual([0x80, 0x88, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04, 1, 2, 3]);
    expect(decodeRtp(packet)).toEqual({ payloadType: 8, sequence: 0x1234, timestamp: 0xdeadbeef, ssrc: 0x01020304, marker: true, payload: Buffer.from([1, 2, 3]) });
  });

  test('decodes past CSRCs and a header extension, strips padding; refuses RTCP and other versions', () => {
    const header = Buffer.from([0xb1, 0x00, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3]); // V=2 P=1 X=1 CC=1
    const csrc = Buffer.from([9, 9, 9, 9]);
    const extension = Buffer.from([0xbe, 0xde, 0, 1, 7, 7, 7, 7]);
    const payload = Buffer.from([0xaa, 0xbb]);
    const padding = Buffer.from([0, 0, 3]);
    const decoded = decodeRtp(Buffer.concat([header, csrc, extension, payload, padding]));
    expect(decoded?.payload).toEqual(payload);
    expect(decodeRtp(Buffer.from([0x80, 200, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]))).toBeUndefined(); // RTCP SR
    expect(decodeRtp(Buffer.from([0x40, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]))).toBeUndefined(); // V=1
  });

  test('sequence distance wraps at 16 bits', () => {
    expect(sequenceDelta(65535, 0)).toBe(1);
    expect(sequenceDelta(0, 65535)).toBe(-1);
    expect(sequenceDelta(100, 103)).toBe(3);
  });
});

describe('lost-packet count', () => {
  test('counts gaps, drops late and duplicate packets, survives the wrap', () => {
    const tracker = new RtpReceiveTracker();
    const feed = (seq: number, t = 0, audio = true) => tracker.accept(7, seq, t, audio);
    expect(feed(65533)).toBe(0);
    expect(feed(65534)).toBe(0);
    expect(feed(1)).toBe(2); // 65535 and 0 missing
    expect(feed(0)).toBeUndefined(); // late: its successor was already played
    expect(feed(1)).toBeUndefined(); // duplicate
    expect(feed(2)).toBe(0);
    expect(tracker.stats).toMatchObject({ received: 4, lost: 2, late: 2 });
  });

  test('DTMF/comfort-noise packets use sequence numbers without being lost audio', () => {
    const tracker = new RtpReceiveTracker();
    expect(tracker.accept(7, 10, 0, true)).toBe(0);
    expect(tracker.accept(7, 11, 20, false)).toBeUndefined(); // telephone-event: not delivered
    expect(tracker.accept(7, 12, 40, true)).toBe(0); // nothing lost
    expect(tracker.accept(7, 14, 60, false)).toBeUndefined(); // 13 lost before a DTMF packet
    expect(tracker.accept(7, 15, 80, true)).toBe(1); // ...told with the next audio
  });

  test('a new SSRC restarts counting once the old one went quiet; an interleaved one is ignored', () => {
    const tracker = new RtpReceiveTracker();
    expect(tracker.accept(1, 100, 0, true)).toBe(0);
    expect(tracker.accept(2, 5000, 10, true)).toBeUndefined(); // old source still live
    expect(tracker.accept(1, 101, 20, true)).toBe(0);
    expect(tracker.accept(2, 5001, 200, true)).toBe(0); // old one quiet: switch, no fake loss
    expect(tracker.accept(2, 5003, 220, true)).toBe(1);
    expect(tracker.stats).toMatchObject({ foreign: 1, sourceChanges: 1, lost: 1 });
  });
});

describe('RtpSession over UDP', () => {
  let peer: dgram.Socket;
  let session: RtpSession;

  beforeEach(async () => {
    peer = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => peer.bind(0, '127.0.0.1', () => resolve()));
    session = await RtpSession.open('127.0.0.2', { min: 40_000, max: 40_999 }, silentLogger);
    session.setRemote({
      address: '127.0.0.1',
      port: peer.address().port,
      codec: 'PCMU',
      payloadType: 0,
      receivePayloadTypes: new Map([
        [0, 'PCMU'],
        [8, 'PCMA'],
      ]),
      send: true,
    });
  });

  afterEach(() => {
    session.close();
    peer.close();
  });

  test('binds an even port in the range', () => {
    expect(session.localPort % 2).toBe(0);
    expect(session.localPort).toBeGreaterThanOrEqual(40_000);
    expect(session.localPort).toBeLessThanOrEqual(40_999);
  });

  test('frames go out one per packet: marker first, sequence +1, timestamp +160, constant SSRC', async () => {
    const packets: Buffer[] = [];
    peer.on('message', (data) => packets.push(data));
    const frame = mulawEncode(new Int16Array(160).fill(1000));
    for (let i = 0; i < 3; i++) session.sendFrame(frame);
    await waitFor(() => packets.length === 3, 'three RTP packets', 2000);
    const decoded = packets.map((p) => decodeRtp(p));
    expect(packets.every((p) => p[0] === 0x80)).toBe(true); // V=2, no padding/extension/CSRC
    expect(decoded.map((p) => p?.marker)).toEqual([true, false, false]);
    expect(decoded.map((p) => p?.payloadType)).toEqual([0, 0, 0]);
    const [a, b, c] = decoded;
    expect(sequenceDelta(a?.sequence ?? 0, b?.sequence ?? 0)).toBe(1);
    expect(sequenceDelta(b?.sequence ?? 0, c?.sequence ?? 0)).toBe(1);
    expect(((b?.timestamp ?? 0) - (a?.timestamp ?? 0)) >>> 0).toBe(160);
    expect(((c?.timestamp ?? 0) - (b?.timestamp ?? 0)) >>> 0).toBe(160);
    expect(new Set(decoded.map((p) => p?.ssrc))).toEqual(new Set([session.ssrc]));
    expect(c?.payload).toEqual(frame);
  });

  test('after a pause the timestamp jumps by the pause and the marker is set again', async () => {
    const packets: Buffer[] = [];
    peer.on('message', (data) => packets.push(data));
    const frame = Buffer.alloc(160, 0xff);
    session.sendFrame(frame);
    session.sendFrame(frame);
    await new Promise((resolve) => setTimeout(resolve, 200));
    session.sendFrame(frame);
    await waitFor(() => packets.length === 3, 'three RTP packets', 2000);
    const [, second, third] = packets.map((p) => decodeRtp(p));
    expect(third?.marker).toBe(true);
    expect(sequenceDelta(second?.sequence ?? 0, third?.sequence ?? 0)).toBe(1);
    const jump = ((third?.timestamp ?? 0) - (second?.timestamp ?? 0)) >>> 0;
    expect(jump).toBeGreaterThanOrEqual(160 * 8); // >= 160 ms of samples
    expect(jump % 160).toBe(0);
  });

  test('incoming audio: payloads with the packets missing before each; the other G.711 law is transcoded', async () => {
    const heard: Array<{ payload: Buffer; missing: number }> = [];
    session.onAudio((payload, missing) => heard.push({ payload: Buffer.from(payload), missing }));
    const send = async (seq: number, payloadType: number, payload: Buffer) => {
      peer.send(encodeRtp({ payloadType, sequence: seq, timestamp: seq * 160, ssrc: 99, marker: false, payload }), session.localPort, '127.0.0.2');
      await new Promise((resolve) => setTimeout(resolve, 5));
    };
    const mu = Buffer.alloc(160, 0x7f);
    await send(1, 0, mu);
    await send(2, 0, mu);
    await send(5, 0, mu); // 3 and 4 lost
    await send(4, 0, mu); // late: dropped
    await send(6, 101, Buffer.from([1, 0, 0, 160])); // telephone-event: ignored
    const alaw = alawEncode(sineWave(440, 8000, 20));
    await send(7, 8, alaw); // the remote switched to PCMA: we still hand out PCMU
    await send(8, 0, Buffer.from(session.ssrc.toString())); // (not our SSRC: fine)
    await waitFor(() => heard.length === 5, 'five audio payloads', 2000);
    expect(heard.map((h) => h.missing)).toEqual([0, 0, 2, 0, 0]);
    expect(heard[3]?.payload).toEqual(mulawEncode(alawDecode(alaw)));
    expect(session.stats().receive).toMatchObject({ lost: 2, late: 1 });
  });

  test('our own packets coming back (a loop or an echo) are never delivered as audio', async () => {
    const heard: Buffer[] = [];
    session.onAudio((payload) => heard.push(payload));
    peer.on('message', (data, rinfo) => peer.send(data, rinfo.port, rinfo.address)); // echo
    session.sendFrame(Buffer.alloc(160, 0xff));
    await waitFor(() => session.stats().looped === 1, 'the echoed packet', 2000);
    expect(heard).toEqual([]);
  });

  test('silence keeper: a frame in every 20 ms slot, none doubled when real audio is sent', async () => {
    const packets: Array<{ at: number; silent: boolean; timestamp: number; sequence: number; marker: boolean }> = [];
    peer.on('message', (data) => {
      const p = decodeRtp(data);
      if (p) packets.push({ at: performance.now(), silent: p.payload.every((b) => b === 0xff), timestamp: p.timestamp, sequence: p.sequence, marker: p.marker });
    });
    session.startSilenceKeeper();
    await new Promise((resolve) => setTimeout(resolve, 300)); // silence only
    // 400 ms of audio on the caller's own 20 ms grid, out of phase with the keeper's.
    const audio = Buffer.alloc(160, 0x10);
    const start = performance.now() + 7;
    for (let n = 0; n < 20; n++) {
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, start + 20 * n - performance.now())));
      session.sendFrame(audio);
    }
    await new Promise((resolve) => setTimeout(resolve, 300)); // silence again
    session.stopSilenceKeeper();
    await new Promise((resolve) => setTimeout(resolve, 30)); // the last packets land

    const spanMs = (packets.at(-1)?.at ?? 0) - (packets[0]?.at ?? 0);
    const slots = Math.round(spanMs / 20) + 1;
    // About one packet per slot (the exact rule is in silence-keeper.test.ts, on a fake clock;
    // here timers are real and a loaded machine may fire them late)...
    expect(packets.length).toBeGreaterThanOrEqual(slots - 3);
    expect(packets.length).toBeLessThanOrEqual(slots + 3);
    // ...all 20 audio frames among them, timestamps contiguous (+160 each), sequence +1 each.
    expect(packets.filter((p) => !p.silent)).toHaveLength(20);
    for (let i = 1; i < packets.length; i++) {
      expect(sequenceDelta(packets[i - 1]?.sequence ?? 0, packets[i]?.sequence ?? 0)).toBe(1);
      expect((((packets[i]?.timestamp ?? 0) - (packets[i - 1]?.timestamp ?? 0)) >>> 0) % 160).toBe(0);
    }
    // The first audio frame after silence starts a talkspurt.
    const firstAudio = packets.findIndex((p) => !p.silent);
    expect(packets[firstAudio]?.marker).toBe(true);
    expect(packets[0]?.marker).toBe(true);
  });
});
