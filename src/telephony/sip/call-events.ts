/** What a SipCall reports, and how a failed INVITE's final status maps onto it. */
import type { G711Codec } from './sdp';

export interface SipAudioFormat {
  encoding: 'mulaw' | 'alaw';
  sampleRate: 8000;
}

export type SipCallEvent =
  | { type: 'ringing'; status: number; reason: string }
  | { type: 'answered'; format: SipAudioFormat }
  | { type: 'busy'; status: number; reason: string }
  | { type: 'no_answer'; status?: number; reason: string }
  | { type: 'error'; status?: number; reason: string }
  | { type: 'hangup'; by: 'local' | 'remote'; reason: string };

export type SipCallOutcome = Extract<SipCallEvent, { type: 'busy' | 'no_answer' | 'error' | 'hangup' }>;

type EventOf<T extends SipCallEvent['type']> = Extract<SipCallEvent, { type: T }>;

export interface SipCallEvents {
  progress: [SipCallEvent];
  ringing: [EventOf<'ringing'>];
  answered: [EventOf<'answered'>];
  busy: [EventOf<'busy'>];
  no_answer: [EventOf<'no_answer'>];
  /** Only emitted when someone listens (an unheard 'error' would throw); `progress` always carries it. */
  error: [EventOf<'error'>];
  hangup: [EventOf<'hangup'>];
}

export const AUDIO_FORMATS: Record<G711Codec, SipAudioFormat> = {
  PCMU: { encoding: 'mulaw', sampleRate: 8000 },
  PCMA: { encoding: 'alaw', sampleRate: 8000 },
};

/** 486 Busy Here, 600 Busy Everywhere, 603 Decline: the callee said no. */
const BUSY = new Set([486, 600, 603]);
/** 480 Temporarily Unavailable, 408 Request Timeout, 487 Request Terminated: nobody picked up. */
const NO_ANSWER = new Set([408, 480, 487]);

/** The outcome of an INVITE that ended with a 3xx-6xx final response (`label` like "404 Not Found"). */
export function outcomeOfFailure(status: number, label: string): SipCallOutcome {
  if (BUSY.has(status)) return { type: 'busy', status, reason: label };
  if (NO_ANSWER.has(status)) return { type: 'no_answer', status, reason: label };
  return { type: 'error', status, reason: label };
}
