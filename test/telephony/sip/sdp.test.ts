import { SdpError, buildSdpOffer, negotiateAudio, parseSdp } from '../../../src/telephony/sip/sdp';

test('our offer: PCMU, PCMA and telephone-event/8000 at 20 ms, sendrecv', () => {
  const offer = buildSdpOffer({ address: '203.0.113.5', port: 20002, codecs: ['PCMU', 'PCMA'], sessionId: '42', sessionVersion: 1 });
  expect(offer.split('\r\n')).toEqual([
    'v=0',
    'o=- 42 1 IN IP4 203.0.113.5',
    's=-',
    'c=IN IP4 203.0.113.5',
    't=0 0',
    'm=audio 20002 RTP/AVP 0 8 101',
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-16',
    'a=ptime:20',
    'a=sendrecv',
    '',
  ]);
  // Our own parser reads it back.
  const media = parseSdp(offer).media[0];
  expect(media).toMatchObject({ type: 'audio', port: 20002, formats: [0, 8, 101], address: '203.0.113.5', ptimeMs: 20, direction: 'sendrecv' });
});

test('answer: media-level c= wins, the first common format is chosen, telephone-event found', () => {
  const answer = [
    'v=0',
    'o=root 1 2 IN IP4 185.45.152.1',
    's=Asterisk',
    'c=IN IP4 185.45.152.1',
    't=0 0',
    'm=audio 13554 RTP/AVP 8 0 101',
    'c=IN IP4 185.45.152.2',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=ptime:20',
    'a=sendrecv',
  ].join('\n');
  const audio = negotiateAudio(parseSdp(answer), ['PCMU', 'PCMA']);
  expect(audio).toMatchObject({ address: '185.45.152.2', port: 13554, codec: 'PCMA', payloadType: 8, telephoneEventPt: 101, direction: 'sendrecv' });
  expect([...audio.receivePayloadTypes]).toEqual([
    [8, 'PCMA'],
    [0, 'PCMU'],
  ]);
});

test('static payload types without rtpmap, and dynamic ones named by rtpmap', () => {
  const noRtpmap = 'v=0\r\nc=IN IP4 10.0.0.2\r\nm=audio 5000 RTP/AVP 0\r\n';
  expect(negotiateAudio(parseSdp(noRtpmap), ['PCMA', 'PCMU'])).toMatchObject({ codec: 'PCMU', payloadType: 0 });
  const dynamic = 'v=0\r\nc=IN IP4 10.0.0.2\r\nm=audio 5000 RTP/AVP 96\r\na=rtpmap:96 pcma/8000\r\n';
  expect(negotiateAudio(parseSdp(dynamic), ['PCMA'])).toMatchObject({ codec: 'PCMA', payloadType: 96 });
});

test('unusable answers are refused with a reason', () => {
  const only = (m: string) => parseSdp(`v=0\r\nc=IN IP4 10.0.0.2\r\n${m}\r\n`);
  expect(() => negotiateAudio(only('m=audio 5000 RTP/AVP 18'), ['PCMU', 'PCMA'])).toThrow(new SdpError('no common codec (remote offers 18)'));
  expect(() => negotiateAudio(only('m=audio 0 RTP/AVP 0'), ['PCMU'])).toThrow('no active audio stream in SDP');
  expect(() => negotiateAudio(only('m=audio 5000 RTP/SAVP 0'), ['PCMU'])).toThrow('unsupported media protocol RTP/SAVP');
  expect(() => negotiateAudio(only('m=audio 5000 RTP/AVP 8'), ['PCMU'])).toThrow('no common codec');
});

test('hold: session-level direction applies to the stream', () => {
  const held = parseSdp('v=0\r\nc=IN IP4 0.0.0.0\r\na=sendonly\r\nm=audio 5000 RTP/AVP 0\r\n');
  expect(negotiateAudio(held, ['PCMU'])).toMatchObject({ address: '0.0.0.0', direction: 'sendonly' });
});

test('a re-offer keeps the codec in use when it is still offered', () => {
  const reoffer = parseSdp('v=0\r\nc=IN IP4 10.0.0.2\r\nm=audio 5000 RTP/AVP 8 0\r\n');
  expect(negotiateAudio(reoffer, ['PCMU', 'PCMA']).codec).toBe('PCMA');
  expect(negotiateAudio(reoffer, ['PCMU', 'PCMA'], 'PCMU')).toMatchObject({ codec: 'PCMU', payloadType: 0 });
});
