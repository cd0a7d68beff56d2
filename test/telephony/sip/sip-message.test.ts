import {
  SipParseError,
  buildResponse,
  escapeUser,
  parseNameAddr,
  parseSipMessage,
  parseSipUri,
  parseVia,
  serializeSipMessage,
  tagOf,
} from '../../../src/telephony/sip/sip-message';

const sdp = 'v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';

const invite = [
  'INVITE sip:79991234567@sip.zadarma.com SIP/2.0',
  'Via: SIP/2.0/UDP 10.0.0.1:5060;rport;branch=z9hG4bKaaa, SIP/2.0/UDP 10.0.0.9;branch=z9hG4bKbbb',
  'v: SIP/2.0/UDP 10.0.0.8:5062;branch=z9hG4bKccc',
  'Max-Forwards: 70',
  'f: "Bot, Inc" <sip:123456-100@sip.zadarma.com>;tag=abc',
  'To: <sip:79991234567@sip.zadarma.com>',
  'i: call-1@10.0.0.1',
  'CSeq: 2 INVITE',
  'Subject: a folded',
  '  header line',
  'Content-Type: application/sdp',
  `Content-Length: ${Buffer.byteLength(sdp)}`,
  '',
  sdp,
].join('\r\n');

test('parses a request: compact forms, several Vias in one line, folding, body by Content-Length', () => {
  const message = parseSipMessage(Buffer.from(`${invite}trailing garbage`));
  if (message.kind !== 'request') throw new Error('expected a request');
  expect(message.method).toBe('INVITE');
  expect(message.uri).toBe('sip:79991234567@sip.zadarma.com');
  expect(message.headers.getAll('via')).toEqual([
    'SIP/2.0/UDP 10.0.0.1:5060;rport;branch=z9hG4bKaaa',
    'SIP/2.0/UDP 10.0.0.9;branch=z9hG4bKbbb',
    'SIP/2.0/UDP 10.0.0.8:5062;branch=z9hG4bKccc',
  ]);
  expect(message.headers.get('call-id')).toBe('call-1@10.0.0.1');
  expect(message.headers.get('subject')).toBe('a folded header line');
  expect(tagOf(message.headers.get('from'))).toBe('abc');
  expect(message.body.toString()).toBe(sdp);
});

test('serialise then parse gives the same message, with a correct Content-Length', () => {
  const message = parseSipMessage(Buffer.from(invite));
  const again = parseSipMessage(serializeSipMessage(message));
  expect(again).toEqual(message);
  const wire = serializeSipMessage({ ...message, body: Buffer.from('x') }).toString();
  expect(wire).toContain('\r\nContent-Length: 1\r\n\r\nx');
  expect(wire.match(/Content-Length/g)).toHaveLength(1);
});

test('parses a response and rejects broken datagrams', () => {
  const response = parseSipMessage(Buffer.from('SIP/2.0 486 Busy Here\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n'));
  expect(response).toMatchObject({ kind: 'response', status: 486, reason: 'Busy Here' });
  expect(() => parseSipMessage(Buffer.from('SIP/2.0 200 OK\r\nContent-Length: 50\r\n\r\nshort'))).toThrow(SipParseError);
  expect(() => parseSipMessage(Buffer.from('HELLO\r\n\r\n'))).toThrow(SipParseError);
  expect(() => parseSipMessage(Buffer.from('INVITE sip:x SIP/2.0\r\nVia: x'))).toThrow(SipParseError);
});

test('buildResponse copies Via/From/To/Call-ID/CSeq and tags To', () => {
  const request = parseSipMessage(Buffer.from(invite));
  if (request.kind !== 'request') throw new Error('expected a request');
  const response = buildResponse(request, 481, { toTag: 'mine' });
  const parsed = parseSipMessage(serializeSipMessage(response));
  expect(parsed).toMatchObject({ kind: 'response', status: 481, reason: 'Call/Transaction Does Not Exist' });
  expect(parsed.headers.getAll('via')).toHaveLength(3);
  expect(parsed.headers.get('to')).toBe('<sip:79991234567@sip.zadarma.com>;tag=mine');
  expect(parsed.headers.get('cseq')).toBe('2 INVITE');
});

test('name-addr, Via and URI pieces', () => {
  expect(parseNameAddr('"Bot, Inc" <sip:bot@x;transport=udp>;tag=1;expires=60')).toEqual({
    display: 'Bot, Inc',
    uri: 'sip:bot@x;transport=udp',
    params: { tag: '1', expires: '60' },
  });
  expect(parseNameAddr('sip:bot@x;tag=2')).toEqual({ display: undefined, uri: 'sip:bot@x', params: { tag: '2' } });
  expect(parseVia('SIP/2.0/UDP 203.0.113.5:5070;rport=61000;received=198.51.100.7;branch=z9hG4bKx')).toEqual({
    transport: 'UDP',
    host: '203.0.113.5',
    port: 5070,
    params: { rport: '61000', received: '198.51.100.7', branch: 'z9hG4bKx' },
  });
  expect(parseSipUri('sip:user%40x@vpbx400.mangosip.ru:5060;lr')).toEqual({
    scheme: 'sip',
    user: 'user@x',
    host: 'vpbx400.mangosip.ru',
    port: 5060,
    params: { lr: '' },
  });
  expect(escapeUser('+7 999#1')).toBe('+7%20999%231');
});
