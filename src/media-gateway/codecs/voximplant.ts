import type { RawData } from 'ws';
import type { DecodeResult, MediaCodec, MediaEncoder } from '../protocol';
import { decodeJsonMedia, JsonMediaEncoder, type JsonMediaDialect } from './json-media';

/**
 * Voximplant's media over WebSocket (`call.sendMediaTo(socket)` / `socket.sendMediaTo(call)` in
 * VoxEngine). In: JSON `start` (with `customParameters` as a JSON string) / `media` / `stop`.
 * Out: VoxEngine takes only `start` / `media` / `stop` as events, so our commands travel as
 * `{"customEvent": …}` text that our scenario acts on (`clear` -> `socket.clearMediaBuffer()`,
 * `hangup` -> `call.hangup()`); they do not consume a sequence number.
 */
const dialect: JsonMediaDialect = {
  // Voximplant echoes no marks (we never ask for any); the rest as for our own protocol.
  ignoredEvents: new Set(['connected', 'dtmf', 'customEvent', 'mark']),
};

/** A command to our VoxEngine scenario (see voice-caller-outbound.voxengine.js). */
export const voximplantCommand = (command: 'clear' | 'hangup'): string => JSON.stringify({ customEvent: command });

class VoximplantEncoder extends JsonMediaEncoder {
  clear(): string {
    return voximplantCommand('clear');
  }
}

export const voximplantCodec: MediaCodec = {
  name: 'voximplant',
  decode: (data: RawData, isBinary: boolean): DecodeResult => decodeJsonMedia(data, isBinary, dialect),
  encoder: (): MediaEncoder => new VoximplantEncoder(),
};
