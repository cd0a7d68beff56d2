import { randomUUID } from 'node:crypto';
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { DialogTurn } from '../src/domain/call-session';
import type { Logger } from '../src/logging/logger';
import { metrics } from '../src/metrics/metrics';
import type { CallAudioPipeline } from '../src/media-gateway/call-audio-pipeline';
import type { LineSpeaker, SpeakResult } from '../src/media-gateway/line-speaker';
import type { SipBridge } from '../src/media-gateway/sip-bridge';
import { toActivityFailure } from '../src/speech-providers/activity-failure';
import { isSpeechProviderError } from '../src/speech-providers/provider-error';
import type { ReplyModel, SpeechToText } from '../src/speech-providers';
import { calleeHeardSignal } from '../workflows/definitions';

export type { SpeakResult } from '../src/media-gateway/line-speaker';

/** What the gateway's media activities need: the call's audio, the speech providers and a way to signal the workflow. */
export interface MediaActivityDeps {
  pipeline: CallAudioPipeline;
  speaker: LineSpeaker;
  stt: SpeechToText;
  replyModel: ReplyModel;
  client: Client;
  logger: Logger;
  /** Present when this gateway dials a SIP trunk. */
  sip?: SipBridge | null;
  /** streamed: speak each piece as the model completes it; whole: speak the finished reply (REPLY_SPEECH). */
  replySpeech: 'streamed' | 'whole';
}

export interface SpokenReply {
  /** What was actually played ('' when the line went before any of it was heard). */
  text: string;
  isGoodbye: boolean;
  interrupted: boolean;
  /** Request -> first speakable piece from the model. */
  llmMs: number;
  /** Timings of the first piece on the line (the one the callee waits for). */
  firstSentence: SpeakResult;
}

export interface HeardTurn {
  /** The callee's phrase as text; '' when the audio was noise (no turn). */
  heard: string;
  heardAt: string;
  sttMs: number | null;
  /** The operator's spoken answer; null when nothing was heard, the phrase was superseded or the model failed. */
  reply: SpokenReply | null;
  /** The callee had only paused and went on talking: this turn is void, the whole phrase comes again. */
  superseded: boolean;
  /** Why there is no reply although something was heard (the model failed). */
  replyFailure?: string;
  /** The phrase's end as the gateway measured it, handed on -> this turn running (ms). */
  dispatchMs: number | null;
  scheduleToStartMs: number;
}

/** How often a media activity heartbeats: a cancel (hang-up) reaches it within this, a dead gateway is noticed by the heartbeat timeout. */
export const MEDIA_HEARTBEAT_EVERY_MS = 500;
/** When the line went away under a turn, how long it waits for the workflow's cancel (so the history shows the turn cancelled). */
const LINE_GONE_WAIT_MS = 3000;

/**
 * Heartbeats while `run` works, and turns a cancel from the workflow (hang-up, superseded phrase,
 * lost media) into an immediate stop of what is playing on the call. A cancelled activity reports
 * what had been said so far as the details of its CancelledFailure.
 */
async function asMediaActivity<T>(pipeline: CallAudioPipeline, callId: string, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ctx = Context.current();
  const signal = ctx.cancellationSignal;
  ctx.heartbeat();
  const beat = setInterval(() => ctx.heartbeat(), MEDIA_HEARTBEAT_EVERY_MS);
  const onCancel = () => pipeline.cutPlayback(callId);
  signal.addEventListener('abort', onCancel, { once: true });
  try {
    const result = await run(signal);
    const lineGone = pipeline.whenStopped(callId) === null;
    if (lineGone && !signal.aborted) await Promise.race([ctx.cancelled.catch(() => undefined), ctx.sleep(LINE_GONE_WAIT_MS).catch(() => undefined)]);
    if (signal.aborted) throw new CancelledFailure('media activity cancelled', [result]);
    return result;
  } catch (err) {
    if (err instanceof CancelledFailure || !signal.aborted) throw err;
    throw new CancelledFailure('media activity cancelled', [], err instanceof Error ? err : undefined);
  } finally {
    clearInterval(beat);
    signal.removeEventListener('abort', onCancel);
  }
}

export function createMediaActivities(deps: MediaActivityDeps) {
  const { pipeline, speaker, stt, replyModel, client, logger } = deps;

  /** Speaks a line on this gateway's call; "no media here" and provider failures become typed Temporal failures. */
  async function sayOnLine(callId: string, text: string, options: Parameters<LineSpeaker['say']>[2]): Promise<SpeakResult> {
    try {
      return await speaker.say(callId, text, options);
    } catch (err) {
      if (err instanceof Error && err.name === 'NoMediaSessionError') throw ApplicationFailure.nonRetryable(err.message, 'MediaLegGone');
      throw toActivityFailure(err);
    }
  }

  /** The model's streamed answer, its first piece spoken as soon as it is complete and the rest queued right behind it. */
  async function replyAndSpeak(callId: string, history: DialogTurn[], closingInstruction: string | undefined, signal: AbortSignal, answering?: string): Promise<SpokenReply | 'superseded'> {
    const startedAt = performance.now();
    const pieces: string[] = [];
    let isGoodbye = false;
    let llmMs = 0;
    let firstPlayback: Promise<SpeakResult> | null = null;
    const stop = new AbortController();
    const onCancel = () => stop.abort();
    signal.addEventListener('abort', onCancel, { once: true });
    const turn = randomUUID(); // the pipeline plays this reply's parts in order
    const whole = deps.replySpeech === 'whole';
    try {
      try {
        for await (const piece of replyModel.streamReply({ history, ...(closingInstruction ? { closingInstruction } : {}), signal: stop.signal })) {
          isGoodbye ||= piece.isGoodbye;
          if (piece.text === '') continue;
          pieces.push(piece.text);
          if (whole) continue; // spoken below, once the model has finished
          if (!firstPlayback) {
            llmMs = Math.round(performance.now() - startedAt);
            metrics.stage.observe({ stage: 'llm' }, llmMs / 1000);
            firstPlayback = sayOnLine(callId, piece.text, { ...(answering ? { answering } : {}), part: { turn, index: 0 }, signal });
            // A superseded reply stops the model at once, so the continued phrase is answered sooner.
            firstPlayback.then((result) => result.superseded && stop.abort(), () => stop.abort());
          }
        }
      } catch (err) {
        if (stop.signal.aborted && !firstPlayback) return signal.aborted ? { text: '', isGoodbye: false, interrupted: true, llmMs, firstSentence: NOT_PLAYED } : 'superseded';
        if (!stop.signal.aborted) {
          metrics.errors.inc({ kind: 'llm' });
          logger.error({ call_id: callId, ...(isSpeechProviderError(err) ? err.describe() : { err_message: String(err) }) }, 'speech provider request failed');
          // Once something was said the turn stands; before that, the caller decides.
          if (!firstPlayback && (!whole || pieces.length === 0)) throw err;
        }
      }
      if (whole && pieces.length > 0) {
        llmMs = Math.round(performance.now() - startedAt);
        metrics.stage.observe({ stage: 'llm' }, llmMs / 1000);
        const spoken = await sayOnLine(callId, pieces.join(' '), { ...(answering ? { answering } : {}), part: { turn, index: 0 }, signal });
        if (spoken.superseded) return 'superseded';
        const said = spoken.playedMs === 0 ? '' : spoken.interrupted ? pieces[0]! : pieces.join(' ');
        return { text: said, isGoodbye: isGoodbye && !spoken.interrupted, interrupted: spoken.interrupted, llmMs, firstSentence: spoken };
      }
      if (!firstPlayback) throw new Error('The model returned an empty operator reply');
      // The rest is synthesised while the first piece plays, and queued right behind it on the line
      // (no gap the callee could take for the end of our phrase); a barge-in or a cancel drops it unplayed.
      const rest = stop.signal.aborted ? '' : pieces.slice(1).join(' ');
      const restPlayback = rest === '' ? null : sayOnLine(callId, rest, { ...(answering ? { answering } : {}), part: { turn, index: 1 }, signal });
      restPlayback?.catch(() => undefined);
      const firstSentence = await firstPlayback;
      if (firstSentence.superseded) return 'superseded';
      let interrupted = firstSentence.interrupted;
      let said = firstSentence.playedMs > 0 ? [pieces[0]!] : [];
      if (restPlayback) {
        // The first piece was said: a failure of the rest (the line went away) only cuts the reply.
        const second = await restPlayback.catch(() => null);
        if (!interrupted && second && second.playedMs > 0) said = pieces;
        interrupted ||= second?.interrupted ?? true;
      }
      return { text: said.join(' '), isGoodbye: isGoodbye && !interrupted, interrupted, llmMs, firstSentence };
    } finally {
      signal.removeEventListener('abort', onCancel);
    }
  }

  return {
    /** A fixed phrase or a known line (greeting, re-prompt, fallback, goodbye) on the call's line. */
    async speakLine({ callId, text, cache }: { callId: string; text: string; cache: boolean }): Promise<SpeakResult> {
      return asMediaActivity(pipeline, callId, (signal) => sayOnLine(callId, text, { cache, signal }));
    },

    /** At a limit: the model's short summary and goodbye, spoken as it is generated. */
    async speakClosingReply({ callId, history, closingInstruction }: { callId: string; history: DialogTurn[]; closingInstruction: string }): Promise<SpokenReply> {
      return asMediaActivity(pipeline, callId, async (signal) => {
        try {
          const reply = await replyAndSpeak(callId, history, closingInstruction, signal);
          if (reply === 'superseded') throw ApplicationFailure.nonRetryable('closing reply superseded', 'Superseded');
          return reply;
        } catch (err) {
          if (err instanceof ApplicationFailure) throw err;
          throw toActivityFailure(err);
        }
      });
    },

    /**
     * One voice turn, all in this process: the callee's phrase (kept in memory since the VAD cut it)
     * -> STT -> the streamed reply -> TTS onto the line. STT failures throw (the workflow says the
     * fallback phrase); a model failure after the callee was heard is reported in the result.
     */
    async hearAndReply({
      callId,
      turnKey,
      utteranceIds,
      history,
      closingInstruction,
    }: {
      callId: string;
      /** Passed back in the `calleeHeard` signal. */
      turnKey: string;
      utteranceIds: string[];
      history: DialogTurn[];
      closingInstruction?: string;
    }): Promise<HeardTurn> {
      const info = Context.current().info;
      const startedAtMs = Date.now();
      const scheduleToStartMs = Math.max(0, startedAtMs - info.currentAttemptScheduledTimestampMs);
      const handedOnAt = pipeline.phraseHandedOnAt(callId, utteranceIds.at(-1));
      const dispatchMs = handedOnAt === null ? null : Math.max(0, Math.round(performance.now() - handedOnAt));
      const timing = { dispatchMs, scheduleToStartMs };
      return asMediaActivity(pipeline, callId, async (signal) => {
        const texts: string[] = [];
        let sttMs: number | null = null;
        for (const utteranceId of utteranceIds) {
          const audio = pipeline.phraseAudio(callId, utteranceId);
          if (!audio) throw ApplicationFailure.nonRetryable(`phrase ${utteranceId} of call ${callId} is not on this gateway`, 'MediaLegGone');
          const started = performance.now();
          try {
            const transcript = await stt.transcribe(audio, { language: 'ru', signal });
            sttMs = (sttMs ?? 0) + Math.round(performance.now() - started);
            if (transcript.text !== '') texts.push(transcript.text);
          } catch (err) {
            if (signal.aborted) throw err;
            metrics.errors.inc({ kind: 'stt' });
            logger.error({ call_id: callId, ...(isSpeechProviderError(err) ? err.describe() : { err_message: String(err) }) }, 'speech provider request failed');
            throw toActivityFailure(err);
          }
        }
        if (sttMs !== null) metrics.stage.observe({ stage: 'stt' }, sttMs / 1000);
        const heard = texts.join(' ').trim();
        const heardAt = new Date().toISOString();
        if (heard === '') return { heard, heardAt, sttMs, reply: null, superseded: false, ...timing };
        // The transcript shows the callee's words now, and keeps them if the call ends mid-reply;
        // sent alongside the model request, so the reply does not wait for it.
        client.workflow
          .getHandle(callId)
          .signal(calleeHeardSignal, { turnKey, text: heard, heardAt })
          .catch((err: unknown) => logger.warn({ call_id: callId, err: String(err) }, 'could not report the heard phrase early'));
        try {
          const reply = await replyAndSpeak(callId, [...history, { speaker: 'user', text: heard, timestamp: heardAt }], closingInstruction, signal, utteranceIds.at(-1));
          if (reply === 'superseded') return { heard, heardAt, sttMs, reply: null, superseded: true, ...timing };
          return { heard, heardAt, sttMs, reply, superseded: false, ...timing };
        } catch (err) {
          // What the callee said stands even if the answer failed: the workflow records it and says the fallback phrase.
          return { heard, heardAt, sttMs, reply: null, superseded: false, replyFailure: err instanceof Error ? err.message : String(err), ...timing };
        }
      });
    },

    /**
     * Runs for the whole dialog on the gateway that carries the call: ends when the media leg stops
     * (the callee hung up), heartbeats meanwhile so that a gateway that dies is noticed at once.
     */
    async watchMediaLeg({ callId }: { callId: string }): Promise<{ stopped: boolean; reason: string }> {
      const ctx = Context.current();
      const stopped = pipeline.whenStopped(callId);
      if (!stopped) return { stopped: true, reason: 'no media stream on this gateway' };
      ctx.heartbeat();
      const beat = setInterval(() => ctx.heartbeat(), MEDIA_HEARTBEAT_EVERY_MS);
      try {
        const outcome = await Promise.race([stopped.then((reason) => ({ stopped: true, reason })), ctx.cancelled.then(() => null, () => null)]);
        return outcome ?? { stopped: false, reason: 'dialog ended' };
      } finally {
        clearInterval(beat);
      }
    },

    /** Ends the call's media leg from our side (a SIP call: BYE; a media stream: closed). */
    async hangUpMediaLeg({ callId, reason }: { callId: string; reason: string }): Promise<{ closed: boolean }> {
      const closed = (await deps.sip?.hangUp(callId, reason)) || pipeline.closeLeg(callId, reason);
      logger.info({ call_id: callId, reason, closed }, 'media leg hung up');
      return { closed };
    },
  };
}

const NOT_PLAYED: SpeakResult = { interrupted: true, playedMs: 0, firstFrameMs: null, synthesisFirstByteMs: 0, voiceToVoiceMs: null, greetingMs: null, endpointingMs: null, superseded: false };

export type MediaActivities = ReturnType<typeof createMediaActivities>;
