/** RTP fixed header (RFC 3550 5.1): encode ours, decode theirs (CSRCs, extension, padding). */

export interface RtpPacket {
  payloadType: number;
  sequence: number;
  timestamp: number;
  ssrc: number;
  marker: boolean;
  payload: Buffer;
}

const HEADER_BYTES = 12;

export function encodeRtp(packet: RtpPacket): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + packet.payload.length);
  out[0] = 0x80; // V=2, P=0, X=0, CC=0
  out[1] = (packet.marker ? 0x80 : 0) | (packet.payloadType & 0x7f);
  out.writeUInt16BE(packet.sequence & 0xffff, 2);
  out.writeUInt32BE(packet.timestamp >>> 0, 4);
  out.writeUInt32BE(packet.ssrc >>> 0, 8);
  packet.payload.copy(out, HEADER_BYTES);
  return out;
}

/**
 * Undefined for anything that is not RTP version 2 or is RTCP multiplexed on the same port
 * (RFC 5761: second byte 192..223 is an RTCP packet type).
 */
export function decodeRtp(data: Buffer): RtpPacket | undefined {
  if (data.length < HEADER_BYTES) return undefined;
  const b0 = data[0] ?? 0;
  const b1 = data[1] ?? 0;
  if (b0 >> 6 !== 2) return undefined;
  if (b1 >= 192 && b1 <= 223) return undefined;
  let offset = HEADER_BYTES + (b0 & 0x0f) * 4;
  if (b0 & 0x10) {
    if (data.length < offset + 4) return undefined;
    offset += 4 + data.readUInt16BE(offset + 2) * 4;
  }
  let end = data.length;
  if (b0 & 0x20) end -= data[data.length - 1] ?? 0;
  if (end < offset) return undefined;
  return {
    payloadType: b1 & 0x7f,
    marker: (b1 & 0x80) !== 0,
    sequence: data.readUInt16BE(2),
    timestamp: data.readUInt32BE(4),
    ssrc: data.readUInt32BE(8),
    payload: data.subarray(offset, end),
  };
}

/** Signed distance from `from` to `to` on the 16-bit sequence circle (-32768..32767). */
export function sequenceDelta(from: number, to: number): number {
  return ((((to - from) & 0xffff) + 0x8000) & 0xffff) - 0x8000;
}
