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
import { saidAsWritten } from '../src/speech-providers/text-to-speech';
import type { VoiceOperatorSession } from '../src/speech-providers/voice-operator';
import { calleeHeardSignal } from '../workflows/definitions';
import { startHeartbeats } from './heartbeat';

export type { SpeakResult } from '../src/media-gateway/line-speaker';

/** What the gateway's media activities need: the call's audio, the speech providers and a way to signal the workflow. */
export interface MediaActivityDeps {
  pipeline: CallAudioPipeline;
  speaker: LineSpeaker;
  /** The operator's voice session of each call whose media is on this gateway. */
  sessions: (callId: string) => VoiceOperatorSession | null;
  client: Client;
  logger: Logger;
  /** Present when this gateway dials a SIP trunk. */
  sip?: SipBridge | null;
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
  /** Pieces the voice said with other words than the model wrote (`text` holds what was said). */
  readBackMismatches: { written: string; said: string }[];
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
  const stopHeartbeats = startHeartbeats(MEDIA_HEARTBEAT_EVERY_MS);
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
    stopHeartbeats();
    signal.removeEventListener('abort', onCancel);
  }
}

export function createMediaActivities(deps: MediaActivityDeps) {
  const { pipeline, speaker, client, logger } = deps;

  /** The operator's voice session of a call on this gateway; its absence means the media is not here (any more). */
  function sessionOf(callId: string): VoiceOperatorSession {
    const session = deps.sessions(callId);
    if (!session) throw ApplicationFailure.nonRetryable(`call ${callId} has no media on this gateway`, 'MediaLegGone');
    return session;
  }

  /** Typed Temporal failures for "no media here" and provider failures. */
  function asFailure(err: unknown): Error {
    if (err instanceof ApplicationFailure || err instanceof CancelledFailure) return err;
    if (err instanceof Error && err.name === 'NoMediaSessionError') return ApplicationFailure.nonRetryable(err.message, 'MediaLegGone');
    return toActivityFailure(err);
  }

  /**
   * The operator's answer, piece by piece as the session produces it: the first piece goes on the
   * line as soon as it exists, the later ones queue right behind it (no gap the callee could take
   * for our end). A barge-in, a superseded phrase or a cancel stops words and audio at once.
   */
  async function replyAndSpeak(callId: string, history: DialogTurn[], closingInstruction: string | undefined, signal: AbortSignal, answering?: string): Promise<SpokenReply | 'superseded'> {
    const session = sessionOf(callId);
    const startedAt = performance.now();
    const stop = new AbortController();
    const onCancel = () => stop.abort();
    signal.addEventListener('abort', onCancel, { once: true });
    const turn = randomUUID(); // the pipeline plays this reply's pieces in order
    const pieces: { text: string; playback: Promise<SpeakResult>; words?: Promise<{ text: string; isGoodbye: boolean }> }[] = [];
    let isGoodbye = false;
    let llmMs = 0;
    try {
      try {
        for await (const piece of session.respond({ history, ...(closingInstruction ? { closingInstruction } : {}), signal: stop.signal })) {
          isGoodbye ||= piece.isGoodbye;
          if ((piece.text === '' && !piece.wordsWhenSpoken) || stop.signal.aborted) continue;
          const index = pieces.length;
          if (index === 0) {
            llmMs = Math.round(performance.now() - startedAt);
            metrics.stage.observe({ stage: 'llm' }, llmMs / 1000);
          }
          const playback = speaker.play(callId, piece, { ...(answering ? { answering } : {}), part: { turn, index }, onInterrupt: () => stop.abort() });
          // A superseded or failed first piece stops the model at once, so the continued phrase is answered sooner.
          if (index === 0) playback.then((result) => result.superseded && stop.abort(), () => stop.abort());
          else playback.catch(() => undefined);
          pieces.push({ text: piece.text, playback, ...(piece.wordsWhenSpoken ? { words: piece.wordsWhenSpoken } : {}) });
        }
      } catch (err) {
        if (pieces.length === 0) {
          if (stop.signal.aborted) return signal.aborted ? { text: '', isGoodbye: false, interrupted: true, llmMs, firstSentence: NOT_PLAYED, readBackMismatches: [] } : 'superseded';
          metrics.errors.inc({ kind: 'llm' });
          logger.error({ call_id: callId, ...(isSpeechProviderError(err) ? err.describe() : { err_message: String(err) }) }, 'speech provider request failed');
          throw err;
        }
        // Once something is being said the turn stands: the rest is only cut.
        if (!stop.signal.aborted) logger.error({ call_id: callId, ...(isSpeechProviderError(err) ? err.describe() : { err_message: String(err) }) }, 'speech provider request failed');
      }
      if (pieces.length === 0) throw new Error('The model returned an empty operator reply');
      const firstSentence = await pieces[0]!.playback;
      if (firstSentence.superseded) return 'superseded';
      let interrupted = firstSentence.interrupted;
      const said: string[] = [];
      const readBackMismatches: { written: string; said: string }[] = [];
      // The transcript keeps the words actually spoken (a model reading aloud may change some).
      const record = async (piece: (typeof pieces)[number], result: SpeakResult) => {
        if (piece.words) {
          // A speech-to-speech answer: its words (and a goodbye in them) are known once said.
          const words = await piece.words;
          isGoodbye ||= words.isGoodbye;
          said.push(result.spokenText || words.text);
          return;
        }
        said.push(result.spokenText);
        if (!result.interrupted && !saidAsWritten(piece.text, result.spokenText)) readBackMismatches.push({ written: piece.text, said: result.spokenText });
      };
      if (firstSentence.playedMs > 0) await record(pieces[0]!, firstSentence);
      for (const later of pieces.slice(1)) {
        const result = await later.playback.catch(() => null);
        if (!interrupted && result && result.playedMs > 0) await record(later, result);
        interrupted ||= result?.interrupted ?? true;
      }
      if (readBackMismatches.length > 0) {
        metrics.readBackMismatches.inc(readBackMismatches.length);
        logger.warn({ call_id: callId, mismatches: readBackMismatches }, 'the voice read the reply with other words: the transcript keeps what was said');
      }
      return { text: said.join(' '), isGoodbye: isGoodbye && !interrupted, interrupted, llmMs, firstSentence, readBackMismatches };
    } finally {
      signal.removeEventListener('abort', onCancel);
    }
  }

  return {
    /** A fixed phrase or a known line (greeting, re-prompt, fallback, goodbye) on the call's line. */
    async speakLine({ callId, text, cache }: { callId: string; text: string; cache: boolean }): Promise<SpeakResult> {
      return asMediaActivity(pipeline, callId, async (signal) => {
        const session = sessionOf(callId);
        const stop = new AbortController();
        const onCancel = () => stop.abort();
        signal.addEventListener('abort', onCancel, { once: true });
        const speak = (line: string) => session.speak(line, { signal: stop.signal });
        try {
          const options = { onInterrupt: () => stop.abort() };
          const result = await (cache ? speaker.sayFixed(callId, text, speak, options) : speaker.play(callId, speak(text), options));
          if (result.playedMs > 0) session.remember?.(result.spokenText);
          return result;
        } catch (err) {
          throw asFailure(err);
        } finally {
          signal.removeEventListener('abort', onCancel);
        }
      });
    },

    /** At a limit: the model's short summary and goodbye, spoken as it is generated. */
    async speakClosingReply({ callId, history, closingInstruction }: { callId: string; history: DialogTurn[]; closingInstruction: string }): Promise<SpokenReply> {
      return asMediaActivity(pipeline, callId, async (signal) => {
        try {
          const reply = await replyAndSpeak(callId, history, closingInstruction, signal);
          if (reply === 'superseded') throw ApplicationFailure.nonRetryable('closing reply superseded', 'Superseded');
          return reply;
        } catch (err) {
          throw asFailure(err);
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
        const session = sessionOf(callId);
        const texts: string[] = [];
        let sttMs: number | null = null;
        for (const utteranceId of utteranceIds) {
          const audio = pipeline.phraseAudio(callId, utteranceId);
          if (!audio) throw ApplicationFailure.nonRetryable(`phrase ${utteranceId} of call ${callId} is not on this gateway`, 'MediaLegGone');
          const started = performance.now();
          try {
            const transcript = await session.transcribe(audio, { signal });
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
      const stopHeartbeats = startHeartbeats(MEDIA_HEARTBEAT_EVERY_MS);
      try {
        const outcome = await Promise.race([stopped.then((reason) => ({ stopped: true, reason })), ctx.cancelled.then(() => null, () => null)]);
        return outcome ?? { stopped: false, reason: 'dialog ended' };
      } finally {
        stopHeartbeats();
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

const NOT_PLAYED: SpeakResult = { interrupted: true, playedMs: 0, firstFrameMs: null, synthesisFirstByteMs: 0, voiceToVoiceMs: null, greetingMs: null, endpointingMs: null, superseded: false, spokenText: '' };

export type MediaActivities = ReturnType<typeof createMediaActivities>;
