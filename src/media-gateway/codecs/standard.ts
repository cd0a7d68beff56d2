import type { RawData } from 'ws';
import type { DecodeResult, MediaCodec, MediaEncoder } from '../protocol';
import { decodeJsonMedia, JsonMediaEncoder, type JsonMediaDialect } from './json-media';

/**
 * Our own media protocol (Twilio style), the default. In: JSON `start` / `media` / `stop` / `mark`
 * text frames, and after `start` binary frames carrying one audio chunk each; Twilio's `connected`
 * and `dtmf` (and `customEvent`) are ignored. Out: `start`, counted `media`, and `clear` (barge-in),
 * all numbered by one `sequenceNumber`.
 */
const dialect: JsonMediaDialect = { ignoredEvents: new Set(['connected', 'dtmf', 'customEvent']) };

class StandardEncoder extends JsonMediaEncoder {
  clear(): string {
    return JSON.stringify({ event: 'clear', sequenceNumber: this.sequence++ });
  }
}

export const standardCodec: MediaCodec = {
  name: 'standard',
  decode: (data: RawData, isBinary: boolean): DecodeResult => decodeJsonMedia(data, isBinary, dialect),
  encoder: (): MediaEncoder => new StandardEncoder(),
};
