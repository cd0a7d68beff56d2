import type { MediaCodec } from '../protocol';
import { standardCodec } from './standard';
import { voximplantCodec } from './voximplant';

export { standardCodec } from './standard';
export { voximplantCodec } from './voximplant';

/** Provider media protocols by the `dialect` a connection asks for (`?dialect=` on the media URL). */
const CODECS: ReadonlyMap<string, MediaCodec> = new Map([standardCodec, voximplantCodec].map((codec) => [codec.name, codec]));

/** The protocol of a connection that names none. */
export const DEFAULT_CODEC: MediaCodec = standardCodec;

/** The codec for a connection's `dialect` parameter: absent (null/undefined) -> the default; unknown -> undefined. */
export function codecFor(dialect: string | null | undefined): MediaCodec | undefined {
  if (dialect === null || dialect === undefined) return DEFAULT_CODEC;
  return CODECS.get(dialect);
}

/** The dialects a connection may ask for. */
export function mediaDialects(): string[] {
  return [...CODECS.keys()];
}
