import { randomUUID } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { DialogTurn } from '../src/domain/call-session';
import { metrics } from '../src/metrics/metrics';
import { describeOpenAIError, isRetryableOpenAIError } from '../src/openai/client';
import { streamOperatorSentences } from '../src/openai/operator-reply-stream';
import { splitGoodbyeMarker } from '../src/openai/system-prompt';
import { replyRequest, type DialogActivityDeps } from './dialog-activities';
import { sayOnLine, transcribeStored, type SpeakResult, type VoiceActivityDeps } from './voice-activities';
import type { TelephonyActivityDeps } from './telephony-activities';
import { calleeHeardSignal } from '../workflows/definitions';

export interface SpokenReply {
  /** What was actually said (a reply cut by barge-in keeps only its spoken part). */
  text: string;
  isGoodbye: boolean;
  interrupted: boolean;
  /** Request -> first complete sentence from the model. */
  llmMs: number;
  /** Timings of the first sentence on the line (the one the callee waits for). */
  firstSentence: SpeakResult;
}

export interface HeardTurn {
  /** The callee's phrase as text; '' when the audio was noise (no turn). */
  heard: string;
  /** When the transcript was ready (the user turn's timestamp). */
  heardAt: string;
  sttMs: number | null;
  /** The operator's spoken answer; null when nothing was heard, the phrase was superseded or the model failed. */
  reply: SpokenReply | null;
  /** The callee had only paused and went on talking: this turn is void, the whole phrase comes again. */
  superseded: boolean;
  /** Why there is no reply although something was heard (the model failed). */
  replyFailure?: string;
  /** When this attempt started running (epoch ms), and how long it waited after being scheduled. */
  startedAtMs?: number;
  scheduleToStartMs?: number;
}

export interface HeardUtterance {
  audioKey: string;
  utteranceId?: string;
}

/**
 * A voice turn in one activity (one Temporal round trip): STT of the callee's phrase, then the
 * model's answer streamed with its first sentence spoken as soon as it is complete and the rest
 * after it. The gateway holds the first sentence until the end of the phrase is confirmed and
 * reports `superseded` when the callee went on talking instead.
 */
export function createSpokenReplyActivities(deps: DialogActivityDeps & VoiceActivityDeps & Pick<TelephonyActivityDeps, 'temporal'>) {
  const { openai, settings, voice, logger, temporal } = deps;

  async function replyAndSpeak(callId: string, history: DialogTurn[], closingInstruction: string | undefined, answering?: string): Promise<SpokenReply | 'superseded'> {
    const startedAt = performance.now();
    const sentences: string[] = [];
    let isGoodbye = false;
    let llmMs = 0;
    let firstPlayback: Promise<SpeakResult> | null = null;
    const stop = new AbortController();
    const turn = randomUUID(); // the gateway plays this reply's parts in order
    try {
      const request = { ...replyRequest(settings, history, closingInstruction), signal: stop.signal };
      for await (const raw of streamOperatorSentences(openai, request)) {
        const sentence = splitGoodbyeMarker(raw);
        isGoodbye ||= sentence.isGoodbye;
        if (sentence.text === '') continue;
        sentences.push(sentence.text);
        if (settings.replySpeech === 'whole') continue; // spoken below, once the model has finished
        if (!firstPlayback) {
          llmMs = Math.round(performance.now() - startedAt);
          metrics.stage.observe({ stage: 'llm' }, llmMs / 1000);
          firstPlayback = sayOnLine(voice, callId, sentence.text, false, answering, { turn, index: 0 });
          // A superseded reply stops the model at once, so the continued phrase is answered sooner.
          firstPlayback.then((result) => result.superseded && stop.abort(), () => undefined);
        }
      }
    } catch (err) {
      if (stop.signal.aborted) return 'superseded';
      metrics.errors.inc({ kind: 'llm' });
      const described = describeOpenAIError(err);
      logger.error({ call_id: callId, stage: 'LLM', kind: described.kind, status: described.status, err_message: described.message }, 'openai request failed');
      // Once something was said the turn stands; before that, the caller decides.
      if (!firstPlayback && (settings.replySpeech !== 'whole' || sentences.length === 0)) {
        const message = `LLM failed (${described.kind}): ${described.message}`;
        throw isRetryableOpenAIError(err)
          ? ApplicationFailure.retryable(message, 'OpenAIError')
          : ApplicationFailure.nonRetryable(message, 'NonRetryableOpenAIError');
      }
    }
    if (settings.replySpeech === 'whole' && sentences.length > 0) {
      llmMs = Math.round(performance.now() - startedAt);
      metrics.stage.observe({ stage: 'llm' }, llmMs / 1000);
      const whole = await sayOnLine(voice, callId, sentences.join(' '), false, answering, { turn, index: 0 });
      if (whole.superseded) return 'superseded';
      return { text: whole.interrupted ? sentences[0]! : sentences.join(' '), isGoodbye: isGoodbye && !whole.interrupted, interrupted: whole.interrupted, llmMs, firstSentence: whole };
    }
    if (!firstPlayback) throw ApplicationFailure.retryable('The model returned an empty operator reply', 'OpenAIError');
    // The rest is synthesised while the first sentence plays, and queued right behind it on the line
    // (no gap the callee could take for the end of our phrase); a barge-in drops it unplayed.
    const rest = stop.signal.aborted ? '' : sentences.slice(1).join(' ');
    const restPlayback = rest === '' ? null : sayOnLine(voice, callId, rest, false, answering, { turn, index: 1 });
    restPlayback?.catch(() => undefined);
    const firstSentence = await firstPlayback;
    if (firstSentence.superseded) return 'superseded';
    let interrupted = firstSentence.interrupted;
    let said = [sentences[0]!];
    if (restPlayback) {
      // The first sentence was said: a failure of the rest (the line went away) only cuts the reply.
      const second = await restPlayback.catch(() => null);
      if (!interrupted && second && second.playedMs > 0) said = sentences;
      interrupted ||= second?.interrupted ?? true;
    }
    return { text: said.join(' '), isGoodbye: isGoodbye && !interrupted, interrupted, llmMs, firstSentence };
  }

  return {
    /** STT -> reply -> speech for one callee phrase. STT failures throw (Temporal retries); a model failure is reported. */
    async hearAndReply({
      callId,
      turnKey,
      utterances,
      history,
      closingInstruction,
    }: {
      callId: string;
      /** Passed back in the `calleeHeard` signal. */
      turnKey: string;
      utterances: HeardUtterance[];
      history: DialogTurn[];
      closingInstruction?: string;
    }): Promise<HeardTurn> {
      const startedAtMs = Date.now();
      const scheduleToStartMs = Math.max(0, startedAtMs - Context.current().info.currentAttemptScheduledTimestampMs);
      const timing = { startedAtMs, scheduleToStartMs };
      const texts: string[] = [];
      let sttMs: number | null = null;
      for (const utterance of utterances) {
        const stt = await transcribeStored(deps, callId, utterance.audioKey);
        sttMs = (sttMs ?? 0) + stt.sttMs;
        if (stt.text !== '') texts.push(stt.text);
      }
      const heard = texts.join(' ').trim();
      const heardAt = new Date().toISOString();
      if (heard === '') return { heard, heardAt, sttMs, reply: null, superseded: false, ...timing };
      // The transcript shows the callee's words now, and keeps them if the call ends mid-reply;
      // sent alongside the model request, so the reply does not wait for it.
      temporal.client.workflow
        .getHandle(callId)
        .signal(calleeHeardSignal, { turnKey, text: heard, heardAt })
        .catch((err: unknown) => logger.warn({ call_id: callId, err: String(err) }, 'could not report the heard phrase early'));
      const answering = utterances.at(-1)?.utteranceId;
      try {
        const reply = await replyAndSpeak(callId, [...history, { speaker: 'user', text: heard, timestamp: heardAt }], closingInstruction, answering);
        if (reply === 'superseded') return { heard, heardAt, sttMs, reply: null, superseded: true, ...timing };
        return { heard, heardAt, sttMs, reply, superseded: false, ...timing };
      } catch (err) {
        // What the callee said stands even if the answer failed: the workflow records it and says the fallback phrase.
        return { heard, heardAt, sttMs, reply: null, superseded: false, replyFailure: err instanceof Error ? err.message : String(err), ...timing };
      }
    },
  };
}
