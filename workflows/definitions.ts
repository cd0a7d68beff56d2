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
}

export interface CallWorkflowInput {
  callId: string;
  /** E.164, +7XXXXXXXXXX. */
  phone: string;
  createdAt: string;
  limits: CallLimits;
  script: CallScript;
  /** Queue behind this many calls in progress (null = no limit). */
  concurrency: { slotsWorkflowId: string; maxConcurrentCalls: number } | null;
}

/** The callee's finished phrase, as text (the audio pipeline produces it from speech). */
export interface CalleeUtterance {
  text: string;
  /** When the callee stopped speaking (ISO). */
  endedAt?: string;
  utteranceId?: string;
}

export const telephonyEventSignal = defineSignal<[UnifiedTelephonyEvent]>('telephonyEvent');
export const calleeUtteranceSignal = defineSignal<[CalleeUtterance]>('calleeUtterance');
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
