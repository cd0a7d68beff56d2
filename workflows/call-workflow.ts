import {
  ActivityFailure,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { CallActivities } from '../activities';
import type { SpeakResult } from '../activities/voice-activities';
import type { CallSession, CallStatus, DialogTurn } from '../src/domain/call-session';
import { CallDispositionAttribute, CallStatusAttribute } from './search-attributes';
import type { UnifiedTelephonyEvent } from '../src/telephony/unified-event';
import {
  calleeHeardSignal,
  calleeUtteranceSignal,
  callSessionQuery,
  releaseSlotSignal,
  slotGrantedSignal,
  slotLeaseSec,
  telephonyEventSignal,
  type CalleeUtterance,
  type CallWorkflowInput,
} from './definitions';

/** Talking to the provider: quick calls, retried a few times. */
const telephony = proxyActivities<CallActivities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '300 milliseconds', maximumInterval: '3 seconds', maximumAttempts: 4 },
});
/** A live turn: the OpenAI client already retries inside (honouring Retry-After); one more attempt here. */
const liveTurn = proxyActivities<CallActivities>({
  startToCloseTimeout: '25 seconds',
  retry: { initialInterval: '200 milliseconds', maximumAttempts: 2, nonRetryableErrorTypes: ['NonRetryableOpenAIError', 'NonRetryableSpeechError'] },
});
/** The same turn as a local activity (VOICE_TURN_ACTIVITY=local, for comparison): no server round trip, signals wait for it. */
const localTurn = proxyLocalActivities<CallActivities>({
  startToCloseTimeout: '25 seconds',
  retry: { initialInterval: '200 milliseconds', maximumAttempts: 2, nonRetryableErrorTypes: ['NonRetryableOpenAIError', 'NonRetryableSpeechError'] },
});
/** After the call: nobody is waiting on the line, so retry longer. */
const postCall = proxyActivities<CallActivities>({
  startToCloseTimeout: '60 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 5, nonRetryableErrorTypes: ['NonRetryableOpenAIError'] },
});
/** The results row must land: retried for about ten minutes, then the local fallback file takes it. */
const resultsRow = proxyActivities<CallActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 8 },
});
const resultsFallback = proxyActivities<CallActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' }, // unlimited: a local file
});

/** Phrase handed on by the gateway (end of speech + endpointing wait) -> the turn's activity running. */
function turnDispatch(endedAt: string | undefined, endpointingMs: number | null | undefined, turn: { startedAtMs?: number; scheduleToStartMs?: number }) {
  if (turn.startedAtMs === undefined) return {};
  const handedOnAt = endedAt ? Date.parse(endedAt) + (endpointingMs ?? 0) : NaN;
  return {
    schedule_to_start_ms: turn.scheduleToStartMs ?? null,
    dispatch_ms: Number.isFinite(handedOnAt) ? Math.max(0, turn.startedAtMs - handedOnAt) : null,
  };
}

const TIME_LIMIT_INSTRUCTION =
  'Время разговора истекло. Одной-двумя фразами кратко подведи итог разговора и вежливо попрощайся.';
const TURN_LIMIT_INSTRUCTION =
  'Это последняя реплика разговора. Кратко подведи итог и вежливо попрощайся.';
/** How long a voice turn cut by a hang-up may take to report the words already spoken. */
const HANGUP_GRACE_MS = 1500;
const CANNED_CLOSING = 'Спасибо за уделённое время! Всего доброго, до свидания.';

const PRE_ANSWER: readonly CallStatus[] = ['created', 'dialing'];
/** Text mode has no audio, hence no timings. */
const TEXT_DELIVERED: SpeakResult = { interrupted: false, playedMs: 0, firstFrameMs: null, synthesisFirstByteMs: 0, voiceToVoiceMs: null, greetingMs: null, endpointingMs: null, superseded: false };

/**
 * One outbound call from `POST /call` to its results row (spec section 3):
 * created -> (wait for a free line) -> dial -> ringing/dialing -> answered/in_progress -> dialog ->
 * completed -> classification -> row; or no_answer / failed -> row. Exactly one row whatever happens.
 */
export async function CallWorkflow(input: CallWorkflowInput): Promise<CallSession> {
  const { callId, limits, script } = input;
  const session: CallSession = {
    id: callId,
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
  };

  let slotGranted = false;
  let dialed = false;
  /** The dial request is on its way: the provider may report progress before the activity returns. */
  let dialRequested = false;
  /** The provider's handle of the call, for hanging up from any worker. */
  let providerRef: string | undefined;
  /** Set when the provider reports busy / no answer / error / hang-up before the callee answered. */
  let preAnswerOutcome: { status: 'no_answer' | 'failed'; reason: string } | null = null;
  let hungUp = false;
  let timeUp = false;
  let answeredAtMs: number | null = null;
  const pendingUtterances: CalleeUtterance[] = [];
  /** The voice turn in progress, and its user turn once the `calleeHeard` signal recorded it. */
  let currentTurn: { key: string; utteranceIds: string[]; userTurn: DialogTurn | null; superseded: boolean } | null = null;
  const seenEventIds = new Set<string>();

  const setStatus = (status: CallStatus) => {
    if (session.status === status) return;
    session.status = status;
    upsertSearchAttributes([{ key: CallStatusAttribute, value: status }]);
  };
  const nowIso = () => new Date(Date.now()).toISOString();
  const addTurn = (speaker: DialogTurn['speaker'], text: string, timestamp = nowIso()): DialogTurn => {
    const turn: DialogTurn = { speaker, text, timestamp };
    session.transcript.push(turn);
    return turn;
  };

  setHandler(callSessionQuery, () => session);
  setHandler(calleeHeardSignal, (heard) => {
    if (currentTurn?.key !== heard.turnKey || currentTurn.userTurn || heard.text.trim() === '') return;
    currentTurn.userTurn = addTurn('user', heard.text, heard.heardAt);
  });
  setHandler(slotGrantedSignal, () => {
    slotGranted = true;
  });
  setHandler(calleeUtteranceSignal, (utterance) => {
    const hasContent = (utterance.text ?? '').trim() !== '' || utterance.audio !== undefined;
    if (utterance.supersedes !== undefined) {
      // The callee went on after a pause: the provisional part is replaced by the whole phrase.
      const stale = pendingUtterances.findIndex((pending) => pending.utteranceId === utterance.supersedes);
      if (stale >= 0) pendingUtterances.splice(stale, 1);
      // A turn already answering the provisional part is void: the whole phrase need not wait for it.
      if (currentTurn?.utteranceIds.includes(utterance.supersedes)) currentTurn.superseded = true;
    }
    if (session.status === 'in_progress' && !hungUp && hasContent) pendingUtterances.push(utterance);
  });
  // Provider events may come twice or out of order: each one only ever moves the call forward.
  setHandler(telephonyEventSignal, (event: UnifiedTelephonyEvent) => {
    if (event.event_id) {
      if (seenEventIds.has(event.event_id)) return;
      seenEventIds.add(event.event_id);
    }
    const beforeAnswer = PRE_ANSWER.includes(session.status) && preAnswerOutcome === null;
    switch (event.event) {
      case 'ringing':
        if (session.status === 'created' && dialRequested && preAnswerOutcome === null) setStatus('dialing');
        break;
      case 'answered':
        if (beforeAnswer && dialRequested) {
          answeredAtMs = Date.now();
          session.started_at = nowIso();
          setStatus('in_progress');
        }
        break;
      case 'busy':
      case 'no_answer':
        if (beforeAnswer) preAnswerOutcome = { status: 'no_answer', reason: event.event };
        else if (session.status === 'in_progress') hungUp = true;
        break;
      case 'error':
        if (beforeAnswer) preAnswerOutcome = { status: 'failed', reason: `error: ${event.reason ?? 'provider error'}` };
        else if (session.status === 'in_progress') {
          hungUp = true;
          session.end_reason ??= `line error: ${event.reason ?? 'provider error'}`;
        }
        break;
      case 'hangup':
        if (beforeAnswer) preAnswerOutcome = { status: 'no_answer', reason: 'hangup before answer' };
        else if (session.status === 'in_progress') hungUp = true;
        break;
    }
  });

  /** Runs a step unless the callee hangs up (or time runs out) first; then the step is cancelled. */
  async function unlessInterrupted<T>(
    step: () => Promise<T>,
    stopWhen: () => boolean,
    /** After the stop, how long a step that is ending anyway (the line is gone) may take to report what it did. */
    graceMs: number | (() => number) = 0,
  ): Promise<{ kind: 'done'; value: T } | { kind: 'failed'; error: unknown } | { kind: 'interrupted' }> {
    if (stopWhen()) return { kind: 'interrupted' };
    const stepScope = new CancellationScope();
    const watchScope = new CancellationScope();
    const work = stepScope.run(step).then(
      (value) => ({ kind: 'done' as const, value }),
      (error: unknown) => ({ kind: 'failed' as const, error }),
    );
    const watch = watchScope.run(() => condition(stopWhen)).then(
      () => ({ kind: 'interrupted' as const }),
      () => null,
    );
    const first = await Promise.race([work, watch]);
    if (first?.kind === 'interrupted') {
      const grace = typeof graceMs === 'function' ? graceMs() : graceMs;
      if (grace > 0) {
        const graceScope = new CancellationScope();
        const late = await Promise.race([work, graceScope.run(() => sleep(grace)).then(() => null, () => null)]);
        graceScope.cancel();
        if (late?.kind === 'done') return late;
      }
      stepScope.cancel();
      return first;
    }
    watchScope.cancel();
    return (first ?? (await work));
  }

  /** Puts a reply on the line: spoken through the media gateway (voice) or handed over as text. */
  async function say(text: string, final = false, fixedPhrase = false): Promise<SpeakResult | null> {
    const turn = addTurn('assistant', text);
    const outcome = await unlessInterrupted(
      () =>
        input.media === 'voice'
          ? liveTurn.speakText({ callId, text, cache: fixedPhrase })
          : telephony.deliverAssistantReply({ callId, text, final }).then(() => TEXT_DELIVERED),
      () => hungUp,
    );
    if (outcome.kind === 'interrupted' || (outcome.kind === 'done' && outcome.value.interrupted)) turn.interrupted = true;
    if (outcome.kind === 'failed') {
      log.error('assistant reply not delivered', { call_id: callId, error: causeOf(outcome.error) });
      if (input.media === 'voice' && !fixedPhrase && !hungUp) {
        // Never dead air: a pre-synthesised phrase stands in for a reply that could not be voiced.
        turn.interrupted = true;
        await say(script.fallbackPhrase, false, true);
      }
    }
    return outcome.kind === 'done' ? outcome.value : null;
  }

  /** Text mode: the callee's phrases arrive as text. */
  function phrasesOf(utterances: CalleeUtterance[]): string[] {
    return utterances.map((utterance) => (utterance.text ?? '').trim()).filter((text) => text !== '');
  }

  async function hangUp(reason: string): Promise<void> {
    try {
      await telephony.hangUpCall({ callId, reason, ...(providerRef !== undefined ? { providerRef } : {}) });
    } catch (err) {
      log.error('hang-up failed', { call_id: callId, error: causeOf(err) });
    }
  }

  /** At a limit: a short summary and goodbye from the model (or a canned one), then hang up. */
  async function closeConversation(instruction: string, reason: string): Promise<void> {
    session.end_reason = reason;
    const reply = await unlessInterrupted(
      () => liveTurn.generateOperatorReply({ callId, history: session.transcript, closingInstruction: instruction }),
      () => hungUp,
    );
    if (reply.kind === 'interrupted') return;
    await say(reply.kind === 'done' ? reply.value.text : CANNED_CLOSING, true, reply.kind !== 'done');
    if (!hungUp) await hangUp(reason);
  }

  async function runDialog(): Promise<void> {
    log.info('dialog started', { call_id: callId });
    const limitScope = new CancellationScope();
    limitScope
      .run(async () => {
        await sleep(limits.maxConversationSec * 1000); // durable: survives worker restarts
        timeUp = true;
      })
      .catch(() => undefined);

    const greeting = await say(script.greeting, false, true);
    if (input.media === 'voice') {
      session.greeting_ms = greeting?.greetingMs ?? null;
      session.turn_metrics = [];
    }
    let userTurns = 0;
    let consecutiveFailures = 0;
    let reprompts = 0;
    /** A turn failed (STT/LLM): the fallback phrase keeps the line alive; repeated failures end the call politely. */
    const afterFailedTurn = async (lastTurn: boolean): Promise<'ended' | 'continue'> => {
      consecutiveFailures += 1;
      if (consecutiveFailures >= script.maxConsecutiveFailures || lastTurn) {
        session.end_reason = 'repeated_failures';
        await say(script.failureGoodbye, true, true);
        if (!hungUp) await hangUp('repeated_failures');
        return 'ended';
      }
      await say(script.fallbackPhrase, false, true);
      return 'continue';
    };
    for (;;) {
      const heardSomething = await condition(() => pendingUtterances.length > 0 || hungUp || timeUp, script.silenceRepromptSec * 1000);
      if (!heardSomething) {
        // Silence: ask whether they hear us; after enough re-prompts, say goodbye and end.
        if (reprompts >= script.maxReprompts) {
          session.end_reason = 'silence';
          await say(script.silenceGoodbye, true, true);
          if (!hungUp) await hangUp('silence');
          break;
        }
        reprompts += 1;
        await say(script.repromptPhrase, false, true);
        continue;
      }
      if (hungUp) {
        session.end_reason ??= 'hangup';
        break;
      }
      if (timeUp) {
        await closeConversation(TIME_LIMIT_INSTRUCTION, 'time_limit');
        break;
      }
      // Phrases that arrived while we were busy form one turn.
      const batch = pendingUtterances.splice(0);

      if (input.media === 'voice') {
        const lastTurn = userTurns + 1 >= limits.maxTurns;
        const utterances = batch.flatMap((u) => (u.audio ? [{ audioKey: u.audio.key, ...(u.utteranceId !== undefined ? { utteranceId: u.utteranceId } : {}) }] : []));
        if (utterances.length === 0) continue;
        // STT, the streamed reply and its speech in one step; only a hang-up or the whole phrase (after a pause) cuts it.
        const turnKey = utterances.map((u) => u.audioKey).join('+');
        currentTurn = { key: turnKey, utteranceIds: utterances.flatMap((u) => (u.utteranceId ? [u.utteranceId] : [])), userTurn: null, superseded: false };
        const turn = await unlessInterrupted(
          () =>
            (input.turnActivity === 'local' ? localTurn : liveTurn).hearAndReply({
              callId,
              turnKey,
              utterances,
              history: session.transcript,
              closingInstruction: lastTurn ? TURN_LIMIT_INSTRUCTION : undefined,
            }),
          () => hungUp || currentTurn?.superseded === true,
          // A hang-up mid-reply ends the playback at once; the turn then still reports what was said.
          // A superseded turn is dropped at once (its activity finds out by itself and ends unheard).
          () => (hungUp ? HANGUP_GRACE_MS : 0),
        );
        const early = currentTurn.userTurn;
        const superseded = currentTurn.superseded && !hungUp;
        currentTurn = null;
        if (turn.kind === 'interrupted' && superseded) {
          if (early) session.transcript.splice(session.transcript.indexOf(early), 1);
          continue; // the whole phrase is pending: it gets its own turn now
        }
        if (turn.kind === 'interrupted') continue; // hung up: what was heard is already recorded
        if (turn.kind === 'failed') {
          // STT failed: nothing was understood, the fallback phrase asks again.
          if ((await afterFailedTurn(false)) === 'ended') break;
          continue;
        }
        const heard = turn.value;
        if (heard.superseded) {
          // The callee was only pausing: the partial phrase gives way to the whole one.
          if (early) session.transcript.splice(session.transcript.indexOf(early), 1);
          continue;
        }
        if (heard.heard === '') continue; // noise: not a turn
        reprompts = 0;
        if (!early) addTurn('user', heard.heard, heard.heardAt);
        userTurns += 1;
        if (!heard.reply) {
          if (hungUp) continue; // the line went away mid-turn: nothing to answer
          log.error('operator reply failed', { call_id: callId, error: heard.replyFailure ?? 'no reply' });
          if ((await afterFailedTurn(lastTurn)) === 'ended') break;
          continue;
        }
        consecutiveFailures = 0;
        const reply = heard.reply;
        const assistantTurn = addTurn('assistant', reply.text);
        if (reply.interrupted) assistantTurn.interrupted = true;
        session.turn_metrics?.push({
          turn: userTurns,
          speech_ended_at: batch.at(-1)?.endedAt ?? null,
          stt_ms: heard.sttMs,
          llm_ms: reply.llmMs,
          tts_first_byte_ms: reply.firstSentence.synthesisFirstByteMs,
          voice_to_voice_ms: reply.firstSentence.voiceToVoiceMs,
          endpointing_ms: reply.firstSentence.endpointingMs,
          ...turnDispatch(batch.at(-1)?.endedAt, reply.firstSentence.endpointingMs, heard),
        });
        if (reply.isGoodbye || lastTurn) {
          session.end_reason = lastTurn ? 'turn_limit' : 'goodbye';
          if (!hungUp) await hangUp(session.end_reason);
          break;
        }
        continue;
      }

      const phrases = phrasesOf(batch);
      if (phrases.length === 0) continue;
      reprompts = 0;
      addTurn('user', phrases.join(' '));
      userTurns += 1;
      const lastTurn = userTurns >= limits.maxTurns;

      const reply = await unlessInterrupted(
        () =>
          liveTurn.generateOperatorReply({
            callId,
            history: session.transcript,
            closingInstruction: lastTurn ? TURN_LIMIT_INSTRUCTION : undefined,
          }),
        () => hungUp || timeUp,
      );
      if (reply.kind === 'interrupted') continue; // the loop head handles hang-up / time limit
      if (reply.kind === 'failed') {
        if ((await afterFailedTurn(lastTurn)) === 'ended') break;
        continue;
      }
      consecutiveFailures = 0;
      const final = reply.value.isGoodbye || lastTurn;
      await say(reply.value.text, final);
      if (final) {
        session.end_reason = lastTurn ? 'turn_limit' : 'goodbye';
        if (!hungUp) await hangUp(session.end_reason);
        break;
      }
    }
    limitScope.cancel();
    log.info('dialog ended', { call_id: callId, reason: session.end_reason, turns: session.transcript.length });
  }

  async function waitForFreeLine(): Promise<void> {
    if (!input.concurrency) return;
    session.queued = true;
    // The API already queued this call on arrival; asking again keeps its place (and covers an API
    // that crashed in between).
    await telephony.requestCallSlot({
      callId,
      slotsWorkflowId: input.concurrency.slotsWorkflowId,
      maxConcurrentCalls: input.concurrency.maxConcurrentCalls,
      leaseSec: slotLeaseSec(limits),
    });
    await condition(() => slotGranted);
    session.queued = false;
  }

  async function releaseLine(): Promise<void> {
    if (!input.concurrency) return; // also leaves the queue if the call ended while waiting
    try {
      await getExternalWorkflowHandle(input.concurrency.slotsWorkflowId).signal(releaseSlotSignal, { callId });
    } catch (err) {
      log.warn('could not release the call slot', { call_id: callId, error: String(err) });
    }
  }

  async function finish(): Promise<void> {
    session.ended_at = nowIso();
    session.queued = false;
    await releaseLine();
    if (session.status === 'completed') {
      session.duration_sec = answeredAtMs === null ? 0 : Math.max(0, Math.round((Date.now() - answeredAtMs) / 1000));
      if (!session.transcript.some((turn) => turn.speaker === 'user')) {
        session.final_disposition = 'unknown';
        session.short_summary = 'Абонент ответил, но ничего не сказал.';
      } else {
        try {
          const outcome = await postCall.classifyCallOutcome({ callId, transcript: session.transcript });
          session.final_disposition = outcome.final_disposition;
          session.short_summary = outcome.short_summary;
        } catch (err) {
          session.final_disposition = 'unknown';
          session.short_summary = 'Не удалось классифицировать разговор: сервис анализа недоступен.';
          log.error('classification failed', { call_id: callId, error: causeOf(err) });
        }
      }
    } else {
      session.duration_sec = 0;
      session.final_disposition = 'unknown';
      session.short_summary =
        session.status === 'no_answer'
          ? `Не дозвонились: статус no_answer (${session.end_reason ?? 'нет ответа'})`
          : `Звонок не состоялся: статус failed (${session.end_reason ?? 'ошибка'})`;
    }
    upsertSearchAttributes([
      { key: CallStatusAttribute, value: session.status },
      { key: CallDispositionAttribute, value: session.final_disposition },
    ]);
    try {
      await resultsRow.writeCallResult({ session });
    } catch (err) {
      log.error('results sink failed, writing to the local fallback file', { call_id: callId, error: String(err) });
      await resultsFallback.writeCallResultFallback({ session });
    }
  }

  try {
    await waitForFreeLine();
    try {
      dialRequested = true;
      const receipt = await telephony.initiateCall({ callId, phone: input.phone, ringTimeoutSec: limits.ringTimeoutSec });
      providerRef = receipt.providerRef;
      dialed = true;
    } catch (err) {
      preAnswerOutcome = { status: 'failed', reason: `dial failed: ${causeOf(err)}` };
    }
    if (dialed) {
      const settled = await condition(
        () => session.status === 'in_progress' || preAnswerOutcome !== null,
        limits.ringTimeoutSec * 1000,
      );
      if (!settled) {
        preAnswerOutcome = { status: 'no_answer', reason: 'ring_timeout' };
        await hangUp('ring_timeout');
      }
    }
    if (preAnswerOutcome !== null && session.status !== 'in_progress') {
      session.end_reason = preAnswerOutcome.reason;
      setStatus(preAnswerOutcome.status);
    } else {
      await runDialog();
      setStatus('completed');
    }
  } catch (err) {
    const wasInProgress = session.status === 'in_progress';
    session.end_reason = isCancellation(err) ? 'cancelled' : `workflow error: ${causeOf(err)}`;
    log.error('call failed', { call_id: callId, reason: session.end_reason });
    if (wasInProgress || dialed) await CancellationScope.nonCancellable(() => hangUp('failed'));
    setStatus(wasInProgress && isCancellation(err) ? 'completed' : 'failed');
  } finally {
    await CancellationScope.nonCancellable(finish);
  }
  log.info('call finished', { call_id: callId, status: session.status, final_disposition: session.final_disposition });
  return session;
}

/** The provider's own message rather than Temporal's "Activity task failed" wrapper. */
function causeOf(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}
