import { ESPEAK_DEFAULT_RATE, synthesizeWithEspeak } from '../../../speech-synthesis/espeak';
import { GOODBYE_MARKER } from '../../system-prompt';
import { VOICE_PITCH } from '../speech/routes';

/**
 * The emulated Realtime model's voice: espeak-ng, exactly as the emulator's /v1/audio/speech voices
 * text (pitch by voice name, rate by speed). A robotic local stand-in, not OpenAI's voice.
 */

export interface SpokenAudio {
  sampleRate: number;
  samples: Int16Array;
}

/**
 * The words of a text as transcript deltas: each word with the whitespace after it, so that the
 * deltas put together give the (trimmed) text back.
 */
export function wordsOf(text: string): string[] {
  return text.trim().match(/\S+\s*/gu) ?? [];
}

/**
 * What is voiced of a reply: the chat rules' goodbye marker is a control token for the client (it
 * stays in the transcript, so a client can end the call on it), not a word anyone says.
 */
export function voicedText(text: string): string {
  return text.split(GOODBYE_MARKER).join(' ').replace(/\s+/g, ' ').trim();
}

export async function synthesize(text: string, voice: string, speed: number): Promise<SpokenAudio> {
  const spoken = voicedText(text);
  if (spoken === '') return { sampleRate: 24000, samples: new Int16Array(0) };
  const audio = await synthesizeWithEspeak(spoken, { voice: 'ru', rate: ESPEAK_DEFAULT_RATE * speed, pitch: VOICE_PITCH[voice] ?? 50 });
  return { sampleRate: audio.sampleRate, samples: audio.samples };
}
