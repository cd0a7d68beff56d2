/**
 * ITU-T G.711 mu-law and A-law, bit-exact with the ITU G.191 reference code (g711.c):
 * 16-bit linear in, one's-complement magnitude for negatives, code bytes as sent on the wire
 * (mu-law inverted, A-law with even bits toggled). Table driven: one lookup per sample.
 */

function ulawCompress(x: number): number {
  let mag = (x < 0 ? ~x >> 2 : x >> 2) + 33; // 14-bit magnitude plus the mu-law bias
  if (mag > 0x1fff) mag = 0x1fff;
  let segment = 1;
  for (let i = mag >> 6; i !== 0; i >>= 1) segment++;
  const code = ((8 - segment) << 4) | (0x0f - ((mag >> segment) & 0x0f));
  return x >= 0 ? code | 0x80 : code;
}

function ulawExpand(code: number): number {
  const inverted = ~code;
  const exponent = (inverted >> 4) & 0x07;
  const step = 4 << (exponent + 1);
  const magnitude = (0x80 << exponent) + step * (inverted & 0x0f) + step / 2 - 4 * 33;
  return code < 0x80 ? -magnitude : magnitude;
}

function alawCompress(x: number): number {
  let ix = x < 0 ? ~x >> 4 : x >> 4; // 12-bit magnitude
  if (ix > 15) {
    let exponent = 1;
    while (ix > 31) {
      ix >>= 1;
      exponent++;
    }
    ix = ix - 16 + (exponent << 4);
  }
  if (x >= 0) ix |= 0x80;
  return ix ^ 0x55;
}

function alawExpand(code: number): number {
  const ix = (code ^ 0x55) & 0x7f;
  const exponent = ix >> 4;
  let mantissa = ix & 0x0f;
  if (exponent > 0) mantissa += 16;
  mantissa = (mantissa << 4) + 8;
  if (exponent > 1) mantissa <<= exponent - 1;
  return code > 0x7f ? mantissa : -mantissa;
}

function buildTables(compress: (x: number) => number, expand: (c: number) => number) {
  const encode = new Uint8Array(65536); // indexed by the sample's 16 bits (x & 0xffff)
  for (let x = -32768; x < 32768; x++) encode[x & 0xffff] = compress(x);
  const decode = new Int16Array(256);
  for (let c = 0; c < 256; c++) decode[c] = expand(c);
  return { encode, decode };
}

const MULAW = buildTables(ulawCompress, ulawExpand);
const ALAW = buildTables(alawCompress, alawExpand);

type Tables = typeof MULAW;

function encodeWith(t: Tables, pcm: Int16Array): Buffer {
  const out = Buffer.allocUnsafe(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = t.encode[(pcm[i] ?? 0) & 0xffff] ?? 0;
  return out;
}

function decodeWith(t: Tables, codes: Uint8Array): Int16Array {
  const out = new Int16Array(codes.length);
  for (let i = 0; i < codes.length; i++) out[i] = t.decode[codes[i] ?? 0] ?? 0;
  return out;
}

export const mulawEncode = (pcm: Int16Array): Buffer => encodeWith(MULAW, pcm);
export const mulawDecode = (codes: Uint8Array): Int16Array => decodeWith(MULAW, codes);
export const alawEncode = (pcm: Int16Array): Buffer => encodeWith(ALAW, pcm);
export const alawDecode = (codes: Uint8Array): Int16Array => decodeWith(ALAW, codes);

export const mulawEncodeSample = (x: number): number => MULAW.encode[x & 0xffff] ?? 0;
export const mulawDecodeSample = (code: number): number => MULAW.decode[code & 0xff] ?? 0;
export const alawEncodeSample = (x: number): number => ALAW.encode[x & 0xffff] ?? 0;
export const alawDecodeSample = (code: number): number => ALAW.decode[code & 0xff] ?? 0;
