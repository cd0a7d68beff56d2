import { codecFor, DEFAULT_CODEC, mediaDialects, standardCodec, voximplantCodec } from '../../src/media-gateway/codecs';
import { CLOSE, type DecodeResult, type MediaCodec } from '../../src/media-gateway/protocol';

const text = (message: unknown) => Buffer.from(typeof message === 'string' ? message : JSON.stringify(message));
const decodeText = (codec: MediaCodec, message: unknown): DecodeResult => codec.decode(text(message), false);
const audio = (byte: number, length = 160) => Buffer.alloc(length, byte);

/** What each provider actually sends for the same stream: start (ULAW 8 kHz, call id), two chunks, stop. */
const PROVIDER_STREAMS: Record<string, unknown[]> = {
  // Our simulated provider and Twilio-style clients: customParameters as an object or a JSON string.
  standard: [
    { event: 'connected', protocol: 'Call', version: '1.0.0' },
    { event: 'start', sequenceNumber: 1, start: { mediaFormat: { encoding: 'ULAW', sampleRate: 8000 }, customParameters: { call_id: 'c-1' } } },
    { event: 'media', sequenceNumber: 2, media: { chunk: 1, timestamp: '0', payload: audio(1).toString('base64') } },
    { event: 'dtmf', dtmf: { digit: '5' } },
    { event: 'media', sequenceNumber: 3, media: { chunk: 2, timestamp: '20', payload: audio(2).toString('base64') } },
    { event: 'mark', sequenceNumber: 4, mark: { name: 'phrase-1' } },
    { event: 'stop', sequenceNumber: 5, stop: {} },
  ],
  // VoxEngine's `call.sendMediaTo(socket)`: customParameters as a JSON string, ms timestamps, stop with mediaInfo.
  voximplant: [
    { event: 'start', sequenceNumber: 0, start: { mediaFormat: { encoding: 'ULAW', sampleRate: 8000 }, customParameters: '{"call_id":"c-1"}' } },
    { event: 'media', sequenceNumber: 1, media: { chunk: 1, timestamp: 0, payload: audio(1).toString('base64') } },
    { event: 'media', sequenceNumber: 2, media: { chunk: 2, timestamp: 20, payload: audio(2).toString('base64') } },
    { event: 'stop', sequenceNumber: 3, stop: { mediaInfo: { duration: 40, size: 320 } } },
  ],
};

const frames = (codec: MediaCodec, messages: unknown[]) => messages.map((m) => decodeText(codec, m)).filter((r) => r.kind !== 'ignored' && r.kind !== 'mark');

test('the registry: absent dialect -> standard, known dialects by name, unknown -> none', () => {
  expect(codecFor(null)).toBe(standardCodec);
  expect(codecFor(undefined)).toBe(standardCodec);
  expect(DEFAULT_CODEC).toBe(standardCodec);
  expect(codecFor('standard')).toBe(standardCodec);
  expect(codecFor('voximplant')).toBe(voximplantCodec);
  expect(codecFor('twilio')).toBeUndefined();
  expect(codecFor('')).toBeUndefined();
  expect(codecFor('VOXIMPLANT')).toBeUndefined();
  expect(codecFor('__proto__')).toBeUndefined();
  expect(mediaDialects().sort()).toEqual(['standard', 'voximplant']);
});

test("each codec decodes its provider's stream to the same internal frames", () => {
  const expected = [
    { kind: 'start', format: { encoding: 'ULAW', sampleRate: 8000 }, customParameters: { call_id: 'c-1' } },
    { kind: 'audio', payload: audio(1), chunk: 1 },
    { kind: 'audio', payload: audio(2), chunk: 2 },
    { kind: 'stop' },
  ];
  expect(frames(standardCodec, PROVIDER_STREAMS.standard!)).toEqual(expected);
  expect(frames(voximplantCodec, PROVIDER_STREAMS.voximplant!)).toEqual(expected);
});

test('standard: marks come through, binary frames are audio, extensions are ignored', () => {
  expect(decodeText(standardCodec, { event: 'mark', mark: { name: 'phrase-1' } })).toEqual({ kind: 'mark', name: 'phrase-1' });
  expect(standardCodec.decode(audio(9), true)).toEqual({ kind: 'audio', payload: audio(9) });
  // ws may hand a message over as fragments or an ArrayBuffer.
  expect(standardCodec.decode([audio(1, 2), audio(2, 2)], true)).toEqual({ kind: 'audio', payload: Buffer.from([1, 1, 2, 2]) });
  const arrayBuffer = new Uint8Array([7, 7, 7]).buffer;
  expect(standardCodec.decode(arrayBuffer, true)).toEqual({ kind: 'audio', payload: Buffer.from([7, 7, 7]) });
  for (const event of ['connected', 'dtmf', 'customEvent']) expect(decodeText(standardCodec, { event }).kind).toBe('ignored');
  // A media chunk without a counter has none.
  expect(decodeText(standardCodec, { event: 'media', media: { payload: '' } })).toEqual({ kind: 'audio', payload: Buffer.alloc(0) });
});

test('customParameters: an object as is, a JSON object string parsed, anything else as none', () => {
  const start = (customParameters?: unknown) => ({ event: 'start', start: { mediaFormat: { encoding: 'PCM16', sampleRate: 16000 }, ...(customParameters === undefined ? {} : { customParameters }) } });
  const params = (codec: MediaCodec, value?: unknown) => {
    const frame = decodeText(codec, start(value));
    return frame.kind === 'start' ? frame.customParameters : frame;
  };
  for (const codec of [standardCodec, voximplantCodec]) {
    expect(params(codec, { a: 1 })).toEqual({ a: 1 });
    expect(params(codec, '{"a":1}')).toEqual({ a: 1 });
    expect(params(codec)).toEqual({});
    expect(params(codec, '')).toEqual({});
    expect(params(codec, 'not json')).toEqual({});
    expect(params(codec, '[1,2]')).toEqual({});
    expect(params(codec, 'null')).toEqual({});
  }
});

test('voximplant: no marks from VoxEngine (ignored), extensions ignored', () => {
  expect(decodeText(voximplantCodec, { event: 'mark', mark: { name: 'x' } }).kind).toBe('ignored');
  expect(decodeText(voximplantCodec, { event: 'customEvent', customEvent: 'anything' }).kind).toBe('ignored');
});

test('bad input is an error with the close code to use, never an exception', () => {
  const bad: Array<[unknown, number]> = [
    ['{not json', CLOSE.invalidPayload],
    ['', CLOSE.invalidPayload],
    ['null', CLOSE.invalidPayload],
    ['42', CLOSE.invalidPayload],
    [{ hello: 'world' }, CLOSE.invalidPayload],
    [{ event: 'media', media: { payload: '***' } }, CLOSE.invalidPayload],
    [{ event: 'media' }, CLOSE.invalidPayload],
    [{ event: 'start', start: { mediaFormat: { encoding: '', sampleRate: 8000 } } }, CLOSE.invalidPayload],
    [{ event: 'start', start: { mediaFormat: { encoding: 'ULAW', sampleRate: -1 } } }, CLOSE.invalidPayload],
    [{ event: 'clear' }, CLOSE.invalidPayload], // ours to send, not to receive
    [{ event: 'media', media: { payload: 'A'.repeat(64_004) } }, CLOSE.invalidPayload],
  ];
  for (const codec of [standardCodec, voximplantCodec]) {
    for (const [message, close] of bad) {
      const result = decodeText(codec, message);
      expect(result).toMatchObject({ kind: 'error', close });
      expect(result.kind === 'error' && result.reason.length > 0).toBe(true);
    }
    expect(codec.decode(Buffer.from([0xff, 0xfe, 0x00]), false)).toMatchObject({ kind: 'error', close: CLOSE.invalidPayload, reason: 'not JSON' });
  }
  // A malformed mark is an error for us; Voximplant sends none, so it is ignored there.
  expect(decodeText(standardCodec, { event: 'mark' }).kind).toBe('error');
  expect(decodeText(voximplantCodec, { event: 'mark' }).kind).toBe('ignored');
});

const ULAW = { encoding: 'ULAW', sampleRate: 8000 };
const sent = (message: string | Buffer | null) => (message === null ? null : (JSON.parse(message.toString()) as Record<string, unknown>));

test('standard encodes start, counted media and clear under one sequence', () => {
  const encoder = standardCodec.encoder();
  const out = [encoder.start(ULAW), encoder.audio(audio(0x7f), 160), encoder.audio(audio(0x7e), 160), encoder.clear(), encoder.audio(audio(1), 80)];
  for (const message of out) expect(typeof message).toBe('string'); // text frames
  expect(out.map(sent)).toEqual([
    { event: 'start', sequenceNumber: 0, start: { mediaFormat: ULAW } },
    { event: 'media', sequenceNumber: 1, media: { chunk: 1, timestamp: 0, payload: audio(0x7f).toString('base64') } },
    { event: 'media', sequenceNumber: 2, media: { chunk: 2, timestamp: 160, payload: audio(0x7e).toString('base64') } },
    { event: 'clear', sequenceNumber: 3 },
    { event: 'media', sequenceNumber: 4, media: { chunk: 3, timestamp: 320, payload: audio(1).toString('base64') } },
  ]);
  // Each connection counts from zero.
  expect(sent(standardCodec.encoder().audio(audio(5), 160))).toMatchObject({ sequenceNumber: 0, media: { chunk: 1, timestamp: 0 } });
});

test('voximplant encodes start and media as VoxEngine takes them, clear as our scenario\'s customEvent', () => {
  const encoder = voximplantCodec.encoder();
  const out = [encoder.start(ULAW), encoder.audio(audio(0x7f), 160), encoder.clear(), encoder.audio(audio(0x7e), 160)];
  expect(out.map(sent)).toEqual([
    { event: 'start', sequenceNumber: 0, start: { mediaFormat: ULAW } },
    { event: 'media', sequenceNumber: 1, media: { chunk: 1, timestamp: 0, payload: audio(0x7f).toString('base64') } },
    { customEvent: 'clear' }, // no `event`: VoxEngine would not pass it to the scenario
    { event: 'media', sequenceNumber: 2, media: { chunk: 2, timestamp: 160, payload: audio(0x7e).toString('base64') } },
  ]);
});

test("what the voximplant encoder sends decodes back to the same frames (round trip through VoxEngine's format)", () => {
  const encoder = voximplantCodec.encoder();
  expect(decodeText(voximplantCodec, encoder.start(ULAW))).toEqual({ kind: 'start', format: ULAW, customParameters: {} });
  expect(decodeText(voximplantCodec, encoder.audio(audio(3), 160))).toEqual({ kind: 'audio', payload: audio(3), chunk: 1 });
});
