import { setHandler } from '@temporalio/workflow';
import type { UnifiedTelephonyEvent } from '../../src/telephony/unified-event';
import {
  calleeHeardSignal,
  calleeUtteranceSignal,
  callSessionQuery,
  mediaAttachedSignal,
  slotGrantedSignal,
  telephonyEventSignal,
} from '../definitions';
import { addTurn, nowIso, PRE_ANSWER, setStatus, type CallState } from './state';

/** The call's signals and query: provider events, the gateway's media and phrases, the line slot. */
export function installHandlers(state: CallState): void {
  const { session } = state;
  setHandler(callSessionQuery, () => session);
  setHandler(slotGrantedSignal, () => {
    state.slotGranted = true;
  });
  setHandler(mediaAttachedSignal, (attached) => {
    // The first gateway to carry the call keeps it.
    if (state.media) return;
    state.media = attached;
    session.media_gateway = attached.gatewayId;
  });
  setHandler(calleeHeardSignal, (heard) => {
    const turn = state.currentTurn;
    if (turn?.key !== heard.turnKey || turn.userTurn || heard.text.trim() === '') return;
    turn.userTurn = addTurn(state, 'user', heard.text, heard.heardAt);
  });
  setHandler(calleeUtteranceSignal, (utterance) => {
    const hasContent = (utterance.text ?? '').trim() !== '' || utterance.utteranceId !== undefined;
    if (utterance.supersedes !== undefined) {
      // The callee went on after a pause: the provisional part is replaced by the whole phrase.
      const stale = state.pendingUtterances.findIndex((pending) => pending.utteranceId === utterance.supersedes);
      if (stale >= 0) state.pendingUtterances.splice(stale, 1);
      // A turn already answering the provisional part is void: the whole phrase need not wait for it.
      if (state.currentTurn?.utteranceIds.includes(utterance.supersedes)) state.currentTurn.superseded = true;
    }
    if (session.status === 'in_progress' && !state.hungUp && hasContent) state.pendingUtterances.push(utterance);
  });
  // Provider events may come twice or out of order: each one only ever moves the call forward.
  setHandler(telephonyEventSignal, (event: UnifiedTelephonyEvent) => {
    if (event.event_id) {
      if (state.seenEventIds.has(event.event_id)) return;
      state.seenEventIds.add(event.event_id);
    }
    const beforeAnswer = PRE_ANSWER.includes(session.status) && state.preAnswerOutcome === null;
    switch (event.event) {
      case 'ringing':
        if (session.status === 'created' && state.dialRequested && state.preAnswerOutcome === null) setStatus(state, 'dialing');
        break;
      case 'answered':
        if (beforeAnswer && state.dialRequested) {
          state.answeredAtMs = Date.now();
          session.started_at = nowIso();
          setStatus(state, 'in_progress');
        }
        break;
      case 'busy':
      case 'no_answer':
        if (beforeAnswer) state.preAnswerOutcome = { status: 'no_answer', reason: event.event };
        else if (session.status === 'in_progress') state.hungUp = true;
        break;
      case 'error':
        if (beforeAnswer) state.preAnswerOutcome = { status: 'failed', reason: `error: ${event.reason ?? 'provider error'}` };
        else if (session.status === 'in_progress') {
          state.hungUp = true;
          session.end_reason ??= `line error: ${event.reason ?? 'provider error'}`;
        }
        break;
      case 'hangup':
        if (beforeAnswer) state.preAnswerOutcome = { status: 'no_answer', reason: 'hangup before answer' };
        else if (session.status === 'in_progress') state.hungUp = true;
        break;
    }
  });
}
