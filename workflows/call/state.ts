import { upsertSearchAttributes } from '@temporalio/workflow';
import type { CallSession, CallStatus, DialogTurn } from '../../src/domain/call-session';
import type { CalleeUtterance, CallWorkflowInput, MediaAttached } from '../definitions';
import { CallStatusAttribute } from '../search-attributes';

/** Everything one CallWorkflow knows about its call; the signal handlers and the steps share it. */
export interface CallState {
  input: CallWorkflowInput;
  session: CallSession;
  slotGranted: boolean;
  /** The dial request is on its way: the provider may report progress before the activity returns. */
  dialRequested: boolean;
  dialed: boolean;
  /** The provider's handle of the call, for hanging up from any worker. */
  providerRef?: string;
  /** A SIP call: the queue of the gateway that dialed it (it owns the call from the first ring). */
  dialingGatewayQueue?: string;
  /** The gateway that carries the call's media: every media activity of the call goes to its queue. */
  media: MediaAttached | null;
  /** Set when the provider reports busy / no answer / error / hang-up before the callee answered. */
  preAnswerOutcome: { status: 'no_answer' | 'failed'; reason: string } | null;
  hungUp: boolean;
  /** The gateway carrying the call stopped heartbeating or never picked up its work. */
  mediaLost: boolean;
  timeUp: boolean;
  answeredAtMs: number | null;
  pendingUtterances: CalleeUtterance[];
  /** The voice turn in progress, and its user turn once the `calleeHeard` signal recorded it. */
  currentTurn: { key: string; utteranceIds: string[]; userTurn: DialogTurn | null; superseded: boolean } | null;
  seenEventIds: Set<string>;
}

export function newCallState(input: CallWorkflowInput): CallState {
  return {
    input,
    session: {
      id: input.callId,
      phone: input.phone,
      status: 'created',
      final_disposition: 'unknown',
      created_at: input.createdAt,
      started_at: null,
      ended_at: null,
      duration_sec: null,
      transcript: [],
      short_summary: null,
      end_reason: null,
      queued: false,
    },
    slotGranted: false,
    dialRequested: false,
    dialed: false,
    media: null,
    preAnswerOutcome: null,
    hungUp: false,
    mediaLost: false,
    timeUp: false,
    answeredAtMs: null,
    pendingUtterances: [],
    currentTurn: null,
    seenEventIds: new Set(),
  };
}

export const PRE_ANSWER: readonly CallStatus[] = ['created', 'dialing'];

export function setStatus(state: CallState, status: CallStatus): void {
  if (state.session.status === status) return;
  state.session.status = status;
  upsertSearchAttributes([{ key: CallStatusAttribute, value: status }]);
}

export const nowIso = (): string => new Date(Date.now()).toISOString();

export function addTurn(state: CallState, speaker: DialogTurn['speaker'], text: string, timestamp = nowIso()): DialogTurn {
  const turn: DialogTurn = { speaker, text, timestamp };
  state.session.transcript.push(turn);
  return turn;
}

export function removeTurn(state: CallState, turn: DialogTurn | null): void {
  if (!turn) return;
  const index = state.session.transcript.indexOf(turn);
  if (index >= 0) state.session.transcript.splice(index, 1);
}

/** The line is no longer there to talk on: hung up, or its gateway is gone. */
export const lineGone = (state: CallState): boolean => state.hungUp || state.mediaLost;
