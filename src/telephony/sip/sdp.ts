/**
 * The SDP we need for one G.711 audio stream (RFC 4566, offer/answer per RFC 3264): build our
 * offer, parse the remote description, pick the codec.
 */

export type G711Codec = 'PCMU' | 'PCMA';

export const STATIC_PAYLOAD_TYPES: Record<G711Codec, number> = { PCMU: 0, PCMA: 8 };
export const TELEPHONE_EVENT_PT = 101;

export interface SdpOfferOptions {
  /** Address the remote sends RTP to (our public address behind NAT). */
  address: string;
  port: number;
  codecs: readonly G711Codec[];
  sessionId: string;
  sessionVersion: number;
  ptimeMs?: number;
  direction?: MediaDirection;
  /** telephone-event payload type; null leaves it out (an answer to an offer without it). Default 101. */
  telephoneEventPt?: number | null;
}

export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

const ipVersion = (address: string): 'IP4' | 'IP6' => (address.includes(':') ? 'IP6' : 'IP4');

export function buildSdpOffer(options: SdpOfferOptions): string {
  const ip = ipVersion(options.address);
  const pts = options.codecs.map((c) => STATIC_PAYLOAD_TYPES[c]);
  const dtmf = options.telephoneEventPt === undefined ? TELEPHONE_EVENT_PT : options.telephoneEventPt;
  const lines = [
    'v=0',
    `o=- ${options.sessionId} ${options.sessionVersion} IN ${ip} ${options.address}`,
    's=-',
    `c=IN ${ip} ${options.address}`,
    't=0 0',
    `m=audio ${options.port} RTP/AVP ${[...pts, ...(dtmf === null ? [] : [dtmf])].join(' ')}`,
    ...options.codecs.map((c) => `a=rtpmap:${STATIC_PAYLOAD_TYPES[c]} ${c}/8000`),
    ...(dtmf === null ? [] : [`a=rtpmap:${dtmf} telephone-event/8000`, `a=fmtp:${dtmf} 0-16`]),
    `a=ptime:${options.ptimeMs ?? 20}`,
    `a=${options.direction ?? 'sendrecv'}`,
  ];
  return `${lines.join('\r\n')}\r\n`;
}

export interface SdpMedia {
  type: string;
  port: number;
  protocol: string;
  formats: number[];
  /** Connection address of this stream (media-level c= or the session-level one). */
  address?: string;
  rtpmap: Map<number, { encoding: string; clockRate: number }>;
  ptimeMs?: number;
  direction: MediaDirection;
}

export interface SessionDescription {
  origin?: { sessionId: string; version: string; address: string };
  address?: string;
  media: SdpMedia[];
}

export class SdpError extends Error {}

/** Tolerant line parser: unknown lines and attributes are skipped. */
export function parseSdp(text: string): SessionDescription {
  const session: SessionDescription = { media: [] };
  let sessionDirection: MediaDirection = 'sendrecv';
  let current: SdpMedia | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.length < 2 || line[1] !== '=') continue;
    const type = line[0];
    const value = line.slice(2);
    if (type === 'o') {
      const [, sessionId = '', version = '', , , address = ''] = value.split(/\s+/);
      session.origin = { sessionId, version, address };
    } else if (type === 'c') {
      const address = value.split(/\s+/)[2]?.split('/')[0];
      if (current) current.address = address;
      else session.address = address;
    } else if (type === 'm') {
      const [mediaType = '', port = '', protocol = '', ...formats] = value.split(/\s+/);
      current = {
        type: mediaType,
        port: Number.parseInt(port, 10),
        protocol,
        formats: formats.map(Number).filter((n) => Number.isInteger(n)),
        address: session.address,
        rtpmap: new Map(),
        direction: sessionDirection,
      };
      session.media.push(current);
    } else if (type === 'a') {
      const colon = value.indexOf(':');
      const name = colon >= 0 ? value.slice(0, colon) : value;
      const attr = colon >= 0 ? value.slice(colon + 1) : '';
      if (name === 'sendrecv' || name === 'sendonly' || name === 'recvonly' || name === 'inactive') {
        if (current) current.direction = name;
        else sessionDirection = name;
      } else if (current && name === 'rtpmap') {
        const m = /^(\d+)\s+([^/\s]+)\/(\d+)/.exec(attr);
        if (m) current.rtpmap.set(Number(m[1]), { encoding: (m[2] ?? '').toUpperCase(), clockRate: Number(m[3]) });
      } else if (current && name === 'ptime') {
        const ptime = Number.parseFloat(attr);
        if (Number.isFinite(ptime)) current.ptimeMs = ptime;
      }
    }
  }
  return session;
}

export interface NegotiatedAudio {
  /** Where we send RTP; 0.0.0.0 (RFC 2543 hold) means do not send. */
  address: string;
  port: number;
  codec: G711Codec;
  payloadType: number;
  /** Every G.711 payload type the remote may send (it may switch among the answer's formats). */
  receivePayloadTypes: Map<number, G711Codec>;
  telephoneEventPt?: number;
  direction: MediaDirection;
  ptimeMs?: number;
}

/** Resolves a payload type to a G.711 codec: static numbers or a dynamic rtpmap naming PCMU/PCMA. */
function codecOf(media: SdpMedia, pt: number): G711Codec | undefined {
  const mapped = media.rtpmap.get(pt);
  if (mapped) {
    if (mapped.clockRate !== 8000) return undefined;
    return mapped.encoding === 'PCMU' || mapped.encoding === 'PCMA' ? mapped.encoding : undefined;
  }
  if (pt === 0) return 'PCMU';
  if (pt === 8) return 'PCMA';
  return undefined;
}

/**
 * Picks the codec from the remote description: the first of its audio formats that we offered
 * (RFC 3264 6.1: the answer lists formats in the answerer's preference), or `keep` when it is
 * among them. Throws SdpError with a readable reason when there is nothing usable.
 */
export function negotiateAudio(remote: SessionDescription, ourCodecs: readonly G711Codec[], keep?: G711Codec): NegotiatedAudio {
  const media = remote.media.find((m) => m.type === 'audio' && m.port > 0);
  if (!media) throw new SdpError('no active audio stream in SDP');
  if (!/^RTP\/AVP$/i.test(media.protocol)) throw new SdpError(`unsupported media protocol ${media.protocol}`);
  if (media.address === undefined) throw new SdpError('SDP has no connection address');
  const receivePayloadTypes = new Map<number, G711Codec>();
  for (const pt of media.formats) {
    const codec = codecOf(media, pt);
    if (codec !== undefined && ourCodecs.includes(codec)) receivePayloadTypes.set(pt, codec);
  }
  // In a re-offer, stay on the codec already in use when it is still offered (the pipeline knows it).
  const kept = [...receivePayloadTypes].find(([, codec]) => codec === keep);
  const first = kept ?? receivePayloadTypes.entries().next().value;
  if (first === undefined) throw new SdpError(`no common codec (remote offers ${media.formats.join(' ')})`);
  const [payloadType, codec] = first;
  const telephoneEventPt = media.formats.find((pt) => media.rtpmap.get(pt)?.encoding === 'TELEPHONE-EVENT');
  return {
    address: media.address,
    port: media.port,
    codec,
    payloadType,
    receivePayloadTypes,
    telephoneEventPt,
    direction: media.direction,
    ptimeMs: media.ptimeMs,
  };
}
