import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { CallSession } from '../src/domain/call-session';
import type { UnifiedTelephonyEvent } from '../src/telephony/unified-event';

/** Limits of one call, passed as workflow arguments so tests can use short ones. */
export interface CallLimits {
  /** Spec 5.2: conversation length from `answered`. */
  maxConversationSec: number;
  /** Spec 5.2: question/answer pairs. */
  maxTurns: number;
  /** How long we let it ring before giving up (no_answer) and hanging up. */
  ringTimeoutSec: number;
}

export interface CallScript {
  /** Said as soon as the callee answers. */
  greeting: string;
  /** Said when a turn fails (model error/timeout), so the line never goes silent. */
  fallbackPhrase: string;
  /** Said when failures repeat and we give up politely. */
  failureGoodbye: string;
  /** Consecutive failed turns after which the call ends. */
  maxConsecutiveFailures: number;
  /** Said after `silenceRepromptSec` without a word from the callee ("Алло, вы меня слышите?"). */
  repromptPhrase: string;
  /** Said when the callee stayed silent through `maxReprompts` re-prompts; then we hang up. */
  silenceGoodbye: string;
  silenceRepromptSec: number;
  maxReprompts: number;
}

export interface CallWorkflowInput {
  callId: string;
  /** E.164, +7XXXXXXXXXX. */
  phone: string;
  createdAt: string;
  limits: CallLimits;
  script: CallScript;
  /**
   * `voice`: the callee's speech arrives as audio references and replies are spoken through the
   * media gateway; `text`: the simulated text callee (phrases as text, replies as text).
   */
  media: 'voice' | 'text';
  /** How a voice turn runs (VOICE_TURN_ACTIVITY); absent = regular activity. */
  turnActivity?: 'regular' | 'local';
  /** Queue behind this many calls in progress (null = no limit). */
  concurrency: { slotsWorkflowId: string; maxConcurrentCalls: number } | null;
}

/**
 * The callee's finished phrase: as text (simulated text callee) or as a reference to the stored
 * audio, which the workflow transcribes. Never audio bytes: they would bloat the history.
 */
export interface CalleeUtterance {
  text?: string;
  audio?: { key: string; durationMs: number };
  /** When the callee stopped speaking (ISO). */
  endedAt?: string;
  utteranceId?: string;
  /** Sent after a short pause only: the callee may go on, and then a later utterance supersedes it. */
  tentative?: boolean;
  /** The provisional utterance this one replaces (the same phrase, continued). */
  supersedes?: string;
}

export const telephonyEventSignal = defineSignal<[UnifiedTelephonyEvent]>('telephonyEvent');
export const calleeUtteranceSignal = defineSignal<[CalleeUtterance]>('calleeUtterance');
/** Sent by the voice turn as soon as STT is done, so the callee's words are recorded before the reply. */
export interface CalleeHeard {
  /** Identifies the turn (its utterance keys), so a late or repeated signal changes nothing. */
  turnKey: string;
  text: string;
  heardAt: string;
}
export const calleeHeardSignal = defineSignal<[CalleeHeard]>('calleeHeard');
/** Sent by the call-slots workflow when this call may start dialing. */
export const slotGrantedSignal = defineSignal('slotGranted');
export const callSessionQuery = defineQuery<CallSession>('callSession');

// Call-slots workflow: a FIFO semaphore so that at most N calls are on the line at once.
export interface SlotRequest {
  callId: string;
  maxConcurrentCalls: number;
  /** A holder that never releases (e.g. its workflow was terminated) is dropped after this. */
  leaseSec: number;
}
export const requestSlotSignal = defineSignal<[SlotRequest]>('requestSlot');
export const releaseSlotSignal = defineSignal<[{ callId: string }]>('releaseSlot');
export interface CallSlotsState {
  holders: { callId: string; grantedAtMs: number; leaseSec: number }[];
  waiting: SlotRequest[];
  maxConcurrentCalls: number;
}
export const callSlotsStateQuery = defineQuery<CallSlotsState>('callSlotsState');
export const CALL_SLOTS_WORKFLOW_ID = 'call-slots';

/** How long a call may hold a line at most: ringing + conversation + time to wrap up. */
export function slotLeaseSec(limits: CallLimits): number {
  return limits.ringTimeoutSec + limits.maxConversationSec + 120;
}
