import { CancellationScope, condition, isCancellation, log, sleep } from '@temporalio/workflow';
import type { HeardTurn, SpeakResult, SpokenReply } from '../../activities/media-activities';
import type { CalleeUtterance } from '../definitions';
import { mediaActivitiesOn, mediaTimeoutsOf, telephony, textTurn } from './activities';
import { hangUp } from './dial';
import { causeOf, unlessInterrupted } from './interruptible';
import { addTurn, lineGone, removeTurn, type CallState } from './state';

type Media = ReturnType<typeof mediaActivitiesOn>;

/**
 * The conversation, from the answer to its end (spec 5): greeting, then turn after turn until the
 * callee hangs up, says goodbye, stays silent, or a limit is reached; at a limit the operator sums up
 * and says goodbye. Voice turns run on the gateway that carries the call.
 */
export async function runDialog(state: CallState): Promise<void> {
  const { input, session } = state;
  const { callId, limits } = input;
  log.info('dialog started', { call_id: callId });
  const limitScope = new CancellationScope();
  limitScope
    .run(async () => {
      await sleep(limits.maxConversationSec * 1000); // durable: survives worker restarts
      state.timeUp = true;
    })
    .catch(() => undefined);

  const media = input.media === 'voice' ? await attachMedia(state) : null;
  const watch = media ? watchMediaLeg(state, media) : null;
  try {
    if (input.media === 'voice' && !media) return; // the media never reached a gateway
    await converse(state, media);
  } finally {
    watch?.cancel();
    limitScope.cancel();
    if (state.mediaLost && (session.end_reason === null || session.end_reason === MEDIA_NOT_CONNECTED)) {
      // The gateway carrying the call died mid-dialog (or none ever carried it): end the call at the provider too.
      session.end_reason ??= MEDIA_LOST;
      await CancellationScope.nonCancellable(() => hangUp(state, session.end_reason ?? MEDIA_LOST));
    }
    log.info('dialog ended', { call_id: callId, reason: session.end_reason, turns: session.transcript.length });
  }
}

export const MEDIA_LOST = 'media_lost';
export const MEDIA_NOT_CONNECTED = 'media_not_connected';

/** Waits for the gateway that carries the call's media to announce itself. */
async function attachMedia(state: CallState): Promise<Media | null> {
  const timeouts = mediaTimeoutsOf(state.input.mediaTimeouts);
  await condition(() => state.media !== null || state.hungUp, timeouts.attachSec * 1000);
  if (state.media) return mediaActivitiesOn(state.media.taskQueue, timeouts);
  if (state.hungUp) state.session.end_reason ??= 'hangup';
  else {
    // Answered, but no gateway ever carried the audio.
    state.mediaLost = true;
    state.session.end_reason = MEDIA_NOT_CONNECTED;
  }
  return null;
}

/** For the whole dialog: the media leg stopping means the callee is gone; the gateway not heartbeating means it died. */
function watchMediaLeg(state: CallState, media: Media): CancellationScope {
  const scope = new CancellationScope();
  scope
    .run(() => media.watch.watchMediaLeg({ callId: state.input.callId }))
    .then(
      (outcome) => {
        if (outcome.stopped) state.hungUp = true;
      },
      (err: unknown) => {
        if (isCancellation(err)) return;
        state.mediaLost = true;
        log.error('media gateway lost', { call_id: state.input.callId, error: causeOf(err) });
      },
    );
  return scope;
}

async function converse(state: CallState, media: Media | null): Promise<void> {
  const { input, session } = state;
  const { callId, script, limits } = input;

  /** Puts a line on the call: spoken on the gateway (voice) or handed over as text. Only what was played stays in the transcript. */
  async function say(text: string, final = false, fixedPhrase = false): Promise<SpeakResult | null> {
    const turn = addTurn(state, 'assistant', text);
    if (!media) {
      const delivered = await unlessInterrupted(() => telephony.deliverAssistantReply({ callId, text, final }), () => state.hungUp);
      if (delivered.kind === 'interrupted') turn.interrupted = true;
      if (delivered.kind === 'failed') log.error('assistant reply not delivered', { call_id: callId, error: causeOf(delivered.error) });
      return null;
    }
    const outcome = await unlessInterrupted(
      () => media.line.speakLine({ callId, text, cache: fixedPhrase }),
      () => lineGone(state),
      () => state.hungUp && !state.mediaLost,
    );
    const played = outcome.kind === 'done' ? outcome.value : outcome.kind === 'interrupted' ? outcome.partial : undefined;
    if (!played || played.playedMs === 0) removeTurn(state, turn);
    else {
      if (played.interrupted) turn.interrupted = true;
      // The words the voice actually said (a model reading aloud may change some); absent in older histories.
      if (played.spokenText) turn.text = played.spokenText;
    }
    if (outcome.kind === 'failed') {
      log.error('assistant line not spoken', { call_id: callId, error: causeOf(outcome.error) });
      // Never dead air: a pre-synthesised phrase stands in for a line that could not be voiced.
      if (!fixedPhrase && !lineGone(state)) await say(script.fallbackPhrase, false, true);
    }
    return outcome.kind === 'done' ? outcome.value : null;
  }

  /** Records a voice reply as far as it was played. */
  function recordSpokenReply(reply: SpokenReply | null | undefined): void {
    if (!reply || reply.text === '') return;
    const turn = addTurn(state, 'assistant', reply.text);
    if (reply.interrupted) turn.interrupted = true;
  }

  /** At a limit: a short summary and goodbye from the model (or the script's closing phrase), then hang up. */
  async function closeConversation(instruction: string, reason: string): Promise<void> {
    session.end_reason = reason;
    if (media) {
      const closing = await unlessInterrupted(
        () => media.turn.speakClosingReply({ callId, history: session.transcript, closingInstruction: instruction }),
        () => lineGone(state),
        () => state.hungUp && !state.mediaLost,
      );
      if (closing.kind === 'failed') await say(script.closingPhrase, true, true);
      else recordSpokenReply(closing.kind === 'done' ? closing.value : closing.partial);
    } else {
      const reply = await unlessInterrupted(() => textTurn.generateOperatorReply({ callId, history: session.transcript, closingInstruction: instruction }), () => state.hungUp);
      if (reply.kind === 'interrupted') return;
      await say(reply.kind === 'done' ? reply.value.text : script.closingPhrase, true, reply.kind !== 'done');
    }
    if (!lineGone(state)) await hangUp(state, reason);
  }

  const greeting = await say(script.greeting, false, true);
  if (media) {
    session.greeting_ms = greeting?.greetingMs ?? null;
    session.turn_metrics = [];
  }
  let userTurns = 0;
  let consecutiveFailures = 0;
  let reprompts = 0;
  /** A turn failed (STT/LLM): the fallback phrase keeps the line alive; repeated failures end the call politely. */
  const afterFailedTurn = async (lastTurn: boolean): Promise<'ended' | 'continue'> => {
    consecutiveFailures += 1;
    if (lineGone(state)) return 'continue'; // the loop head ends the dialog
    if (consecutiveFailures >= script.maxConsecutiveFailures || lastTurn) {
      session.end_reason = 'repeated_failures';
      await say(script.failureGoodbye, true, true);
      if (!lineGone(state)) await hangUp(state, 'repeated_failures');
      return 'ended';
    }
    await say(script.fallbackPhrase, false, true);
    return 'continue';
  };

  for (;;) {
    const heardSomething = await condition(() => state.pendingUtterances.length > 0 || lineGone(state) || state.timeUp, script.silenceRepromptSec * 1000);
    if (state.mediaLost) return; // runDialog records media_lost
    if (state.hungUp) {
      session.end_reason ??= 'hangup';
      return;
    }
    if (!heardSomething) {
      // Silence: ask whether they hear us; after enough re-prompts, say goodbye and end.
      if (reprompts >= script.maxReprompts) {
        session.end_reason = 'silence';
        await say(script.silenceGoodbye, true, true);
        if (!lineGone(state)) await hangUp(state, 'silence');
        return;
      }
      reprompts += 1;
      await say(script.repromptPhrase, false, true);
      continue;
    }
    if (state.timeUp) {
      await closeConversation(script.timeLimitInstruction, 'time_limit');
      return;
    }
    // Phrases that arrived while we were busy form one turn.
    const batch = state.pendingUtterances.splice(0);
    const lastTurn = userTurns + 1 >= limits.maxTurns;

    if (media) {
      const outcome = await voiceTurn(batch, lastTurn);
      if (outcome === 'skip') continue;
      if (outcome === 'failed') {
        if ((await afterFailedTurn(lastTurn)) === 'ended') return;
        continue;
      }
      reprompts = 0;
      userTurns += 1;
      if (outcome === 'no_reply') {
        if ((await afterFailedTurn(lastTurn)) === 'ended') return;
        continue;
      }
      consecutiveFailures = 0;
      if (outcome.isGoodbye || lastTurn) {
        session.end_reason = lastTurn ? 'turn_limit' : 'goodbye';
        if (!lineGone(state)) await hangUp(state, session.end_reason);
        return;
      }
      continue;
    }

    const phrases = batch.map((utterance) => (utterance.text ?? '').trim()).filter((text) => text !== '');
    if (phrases.length === 0) continue;
    reprompts = 0;
    addTurn(state, 'user', phrases.join(' '));
    userTurns += 1;
    const reply = await unlessInterrupted(
      () => textTurn.generateOperatorReply({ callId, history: session.transcript, closingInstruction: lastTurn ? script.turnLimitInstruction : undefined }),
      () => state.hungUp || state.timeUp,
    );
    if (reply.kind === 'interrupted') continue; // the loop head handles hang-up / time limit
    if (reply.kind === 'failed') {
      if ((await afterFailedTurn(lastTurn)) === 'ended') return;
      continue;
    }
    consecutiveFailures = 0;
    const final = reply.value.isGoodbye || lastTurn;
    await say(reply.value.text, final);
    if (final) {
      session.end_reason = lastTurn ? 'turn_limit' : 'goodbye';
      if (!state.hungUp) await hangUp(state, session.end_reason);
      return;
    }
  }

  /**
   * One voice turn on the gateway: STT, the streamed reply and its speech. A hang-up cancels it
   * (what was already played is kept); the whole phrase after a pause makes it void.
   */
  async function voiceTurn(batch: CalleeUtterance[], lastTurn: boolean): Promise<'skip' | 'failed' | 'no_reply' | SpokenReply> {
    const utteranceIds = batch.flatMap((u) => (u.utteranceId !== undefined ? [u.utteranceId] : []));
    if (utteranceIds.length === 0 || !media) return 'skip';
    const turnKey = utteranceIds.join('+');
    const current = { key: turnKey, utteranceIds, userTurn: null, superseded: false };
    state.currentTurn = current;
    const turn = await unlessInterrupted<HeardTurn>(
      () => media.turn.hearAndReply({ callId, turnKey, utteranceIds, history: session.transcript, ...(lastTurn ? { closingInstruction: script.turnLimitInstruction } : {}) }),
      () => lineGone(state) || current.superseded,
      // A hang-up: wait for the cancelled turn to report what it played. A superseded phrase: drop it at once.
      () => state.hungUp && !state.mediaLost,
    );
    state.currentTurn = null;
    const early = current.userTurn;
    if (current.superseded && !lineGone(state)) {
      removeTurn(state, early);
      return 'skip'; // the whole phrase is pending: it gets its own turn now
    }
    if (turn.kind === 'interrupted') {
      // Hung up or lost mid-turn: what was heard is recorded, and of the reply only what was played.
      if (!early && turn.partial && turn.partial.heard !== '') addTurn(state, 'user', turn.partial.heard, turn.partial.heardAt);
      recordSpokenReply(turn.partial?.reply);
      return 'skip';
    }
    if (turn.kind === 'failed') {
      log.error('voice turn failed', { call_id: callId, error: causeOf(turn.error) });
      return 'failed'; // STT failed: nothing was understood, the fallback phrase asks again
    }
    const heard = turn.value;
    if (heard.superseded) {
      removeTurn(state, early); // the callee was only pausing: the whole phrase comes again
      return 'skip';
    }
    if (heard.heard === '') return 'skip'; // noise: not a turn
    if (!early) addTurn(state, 'user', heard.heard, heard.heardAt);
    if (!heard.reply) {
      if (lineGone(state)) return 'skip';
      log.error('operator reply failed', { call_id: callId, error: heard.replyFailure ?? 'no reply' });
      return 'no_reply';
    }
    const reply = heard.reply;
    recordSpokenReply(reply);
    session.turn_metrics?.push({
      turn: (session.turn_metrics?.length ?? 0) + 1,
      speech_ended_at: batch.at(-1)?.endedAt ?? null,
      stt_ms: heard.sttMs,
      llm_ms: reply.llmMs,
      tts_first_byte_ms: reply.firstSentence.synthesisFirstByteMs,
      voice_to_voice_ms: reply.firstSentence.voiceToVoiceMs,
      endpointing_ms: reply.firstSentence.endpointingMs,
      dispatch_ms: heard.dispatchMs,
      schedule_to_start_ms: heard.scheduleToStartMs,
      ...(reply.readBackMismatches?.length ? { read_back_mismatches: reply.readBackMismatches } : {}),
    });
    return reply;
  }
}
