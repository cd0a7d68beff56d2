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
  /** Told to the model when the time limit is reached: sum up and say goodbye. */
  timeLimitInstruction: string;
  /** Told to the model on the last allowed turn. */
  turnLimitInstruction: string;
  /** Said at a limit when the model cannot give its own summary and goodbye. */
  closingPhrase: string;
  /** The results row's summary where no conversation was classified; `{reason}` is the end reason. */
  summaries: {
    silentCallee: string;
    classificationFailed: string;
    noAnswer: string;
    failed: string;
    noAnswerDefaultReason: string;
    failedDefaultReason: string;
  };
}

export interface CallWorkflowInput {
  callId: string;
  /** E.164, +7XXXXXXXXXX. */
  phone: string;
  createdAt: string;
  limits: CallLimits;
  script: CallScript;
  /**
   * `voice`: the callee's speech stays on the media gateway that carries the call, and every turn
   * runs there as an activity on that gateway's own task queue; `text`: the simulated text callee
   * (phrases as text, replies as text).
   */
  media: 'voice' | 'text';
  /**
   * Who dials: `provider` (the general worker calls the provider's API; its media stream then
   * connects to any gateway) or `media-gateway` (a SIP trunk: a gateway dials, from the queue
   * `mediaDialQueue` all gateways share, and the call belongs to it).
   */
  dialVia: 'provider' | 'media-gateway';
  mediaDialQueue?: string;
  /** Waits and heartbeat limits of the media path (tests may shorten them). */
  mediaTimeouts?: Partial<MediaTimeouts>;
  /** Queue behind this many calls in progress (null = no limit). */
  concurrency: { slotsWorkflowId: string; maxConcurrentCalls: number } | null;
}

/** Limits of the media path. */
export interface MediaTimeouts {
  /** After `answered`, how long the call's media may take to reach a gateway before the call fails. */
  attachSec: number;
  /** A media activity that has not heartbeat for this long is on a dead gateway. */
  heartbeatSec: number;
  /** A media activity not picked up by its gateway in this long: the gateway is gone. */
  scheduleToStartSec: number;
}

export const DEFAULT_MEDIA_TIMEOUTS: MediaTimeouts = { attachSec: 15, heartbeatSec: 3, scheduleToStartSec: 5 };

/**
 * The callee's finished phrase: as text (simulated text callee) or, in voice calls, the id of its
 * audio, which stays in memory on the gateway that heard it. Never audio bytes in the history.
 */
export interface CalleeUtterance {
  text?: string;
  /** Voice: how long the phrase was. */
  durationMs?: number;
  /** When the callee stopped speaking (ISO). */
  endedAt?: string;
  utteranceId?: string;
  /** Sent after a short pause only: the callee may go on, and then a later utterance supersedes it. */
  tentative?: boolean;
  /** The provisional utterance this one replaces (the same phrase, continued). */
  supersedes?: string;
}

export const telephonyEventSignal = defineSignal<[UnifiedTelephonyEvent]>('telephonyEvent');
/** Sent by the media gateway whose stream or SIP leg carries the call: its media activities go to `taskQueue`. */
export interface MediaAttached {
  taskQueue: string;
  gatewayId: string;
}
export const mediaAttachedSignal = defineSignal<[MediaAttached]>('mediaAttached');
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
/**
 * The line queue of one deployment: one per task queue, so that a deployment on another queue in
 * the same namespace (a renamed queue, a second service, the benchmark's fresh services) never waits
 * on a queue workflow whose workers are gone.
 */
export function callSlotsWorkflowId(taskQueue: string): string {
  return `call-slots-${taskQueue}`;
}

/** How long a call may hold a line at most: ringing + conversation + time to wrap up. */
export function slotLeaseSec(limits: CallLimits): number {
  return limits.ringTimeoutSec + limits.maxConversationSec + 120;
}
