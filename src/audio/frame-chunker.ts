/**
 * Cuts a byte stream of arbitrary chunk sizes (TTS output) into fixed-size frames for the pacer,
 * carrying the remainder to the next push.
 */
export interface FrameChunker {
  push(bytes: Uint8Array): Buffer[];
  /** The last partial frame padded with `padByte` (0xFF is mu-law silence, 0xD5 A-law, 0 PCM16), or undefined if none. */
  flush(padByte?: number): Buffer | undefined;
}

export function createFrameChunker(frameBytes: number): FrameChunker {
  if (!Number.isInteger(frameBytes) || frameBytes <= 0) throw new Error(`invalid frame size: ${frameBytes}`);
  let carry: Buffer = Buffer.alloc(0);
  return {
    push(bytes) {
      const all = carry.length === 0 ? Buffer.from(bytes) : Buffer.concat([carry, bytes]);
      const frames: Buffer[] = [];
      let offset = 0;
      for (; offset + frameBytes <= all.length; offset += frameBytes) frames.push(all.subarray(offset, offset + frameBytes));
      carry = Buffer.from(all.subarray(offset));
      return frames;
    },
    flush(padByte = 0) {
      if (carry.length === 0) return undefined;
      const frame = Buffer.alloc(frameBytes, padByte);
      carry.copy(frame);
      carry = Buffer.alloc(0);
      return frame;
    },
  };
}
