import { createEndpointer, parseMediaFormat, type Endpointer, type EndpointerEvent, type MediaFormat, type SileroModel, type SpeechEndEvent } from '../audio';
import type { Logger } from '../logging/logger';
import type { CalleeAudioSink } from '../speech-providers/voice-operator';
import { metrics } from '../metrics/metrics';
import { CallPlayback, type PlaybackResult } from './call-playback';
import type { MediaCallHandler } from './gateway-server';
import type { MediaLeg } from './media-session';
import { CLOSE } from './protocol';

/** Where the pipeline reports what happened on a call (the gateway process signals the workflow). */
export interface CallMediaListener {
  /** A call's media is up on this gateway (in `format`): audio may flow both ways. */
  onMediaStarted?(callId: string, format: MediaFormat): Promise<void> | void;
  /** A finished phrase of the callee; its audio stays in this process (`phraseAudio`). */
  onUtterance(callId: string, utterance: CalleeUtteranceReport): Promise<void>;
  /** The callee started talking while the assistant was playing (playback already cut). */
  onBargeIn?(callId: string): void;
  onMediaStopped?(callId: string, reason: string): void;
}

export interface CalleeUtteranceReport {
  durationMs: number;
  utteranceId: string;
  endedAt: string;
  speechEndedAt: number;
  /** Handed on after the short pause only: the callee may still go on (then it is superseded). */
  tentative: boolean;
  /** An earlier provisional utterance of the same phrase that this one replaces. */
  supersedes?: string;
}

export interface EndpointingSettings {
  /** Trailing silence that ends a phrase (ms). */
  silenceMs: number;
  /** Shorter silence after which the phrase goes on provisionally, so the reply is prepared meanwhile (ms). */
  tentativeSilenceMs?: number;
  /** Shorter sounds are not phrases (ms). */
  minSpeechMs: number;
}

interface CallAudio {
  format: MediaFormat;
  endpointer: Endpointer;
  playback: CallPlayback;
  /** Frames are processed strictly in order, one at a time. */
  chain: Promise<void>;
  utterances: number;
  session: MediaLeg;
  /** performance.now() when the callee's last phrase really ended (not when the silence confirmed it). */
  lastSpeechEndAt: number | null;
  lastEndpointingMs: number | null;
  /** performance.now() when the stream started (the answer), for the greeting latency. */
  startedAt: number;
  greeted: boolean;
  /** The provisional utterance of the phrase still open, and whether the callee went on talking after it. */
  provisional: { utteranceId: string; resumed: boolean } | null;
  /** Provisional utterances that turned out not to be the end of the phrase. */
  superseded: Set<string>;
  /** Replies spoken in several parts, kept in order. */
  replies: Map<string, ReplyOrder>;
  /** Playbacks waiting to learn whether the provisional utterance they answer was the end. */
  waiters: Map<string, Array<(outcome: 'confirmed' | 'superseded') => void>>;
  /** The callee's recent phrases, in memory until a turn transcribes them (oldest dropped first). */
  phrases: Map<string, PhraseAudio>;
  /** Where the callee's speech goes as it arrives (a session that recognises while they talk); null: phrases only. */
  listener: { sink: CalleeAudioSink; streaming: boolean; recent: Uint8Array[]; pieces: string[]; phrase: Uint8Array[] } | null;
  /** Resolved when the media leg stops. */
  stopped: Promise<string>;
  markStopped: (reason: string) => void;
}

/** One phrase of the callee as PCM16 mono. */
export interface PhraseAudio {
  pcm: Int16Array;
  sampleRate: number;
  durationMs: number;
  /** performance.now() when the phrase was handed on to the workflow. */
  handedOnAt: number;
  /** The pieces of the call's recognition stream that carried this phrase, in order. */
  streamPieces?: string[];
}

/** Frames kept before a phrase is known to have started, so its audio (with pre-roll) can go to a listening session: 600 ms. */
const LISTENER_LOOKBACK_FRAMES = 30;

/** Phrases kept per call: a turn takes at most a few; older ones are never asked for. */
const MAX_PHRASES_KEPT = 8;

export interface TurnTiming {
  /** Callee speech end -> first assistant frame; null when no phrase preceded this playback (greeting). */
  voiceToVoiceMs: number | null;
  /** Media start -> first frame, for the first playback of a call (the greeting). */
  greetingMs: number | null;
  /** The phrase this reply answered was not finished (the callee went on): nothing was played. */
  superseded: boolean;
  /** How long the trailing silence wait took before the phrase was handed on. */
  endpointingMs: number | null;
}

/**
 * The audio side of every call in the gateway: callee frames -> VAD endpointing -> the phrase kept
 * in memory (for the voice turn that runs in this process) -> listener; assistant audio -> `CallPlayback`; callee speech during playback ->
 * barge-in. One call's failure closes that call's connection only.
 */
export class CallAudioPipeline implements MediaCallHandler {
  private readonly calls = new Map<string, CallAudio>();

  constructor(
    private readonly options: {
      vad: SileroModel;
      listener: CallMediaListener;
      logger: Logger;
      endpointing: EndpointingSettings;
    },
  ) {}

  onStart(session: MediaLeg): void {
    let format: MediaFormat;
    try {
      format = parseMediaFormat(session.format!.encoding, session.format!.sampleRate);
    } catch (err) {
      session.logger.warn({ format: session.format, err: String(err) }, 'unsupported media format');
      session.close(CLOSE.unsupportedData, `unsupported media format ${session.format!.encoding}/${session.format!.sampleRate}`);
      return;
    }
    const vad = this.options.vad.createDetector(format.sampleRate === 8000 ? 8000 : 16000);
    let markStopped: (reason: string) => void = () => undefined;
    const stopped = new Promise<string>((resolve) => (markStopped = resolve));
    this.calls.set(session.callId, {
      format,
      endpointer: createEndpointer({ vad, callFormat: format, ...this.options.endpointing }),
      playback: new CallPlayback(session, format),
      chain: Promise.resolve(),
      utterances: 0,
      session,
      lastSpeechEndAt: null,
      lastEndpointingMs: null,
      startedAt: performance.now(),
      greeted: false,
      provisional: null,
      superseded: new Set(),
      replies: new Map(),
      waiters: new Map(),
      phrases: new Map(),
      listener: null,
      stopped,
      markStopped,
    });
    metrics.activeMediaCalls.inc();
    session.logger.info({ encoding: format.encoding, sample_rate: format.sampleRate }, 'media stream started');
    Promise.resolve(this.options.listener.onMediaStarted?.(session.callId, format)).catch((err: unknown) =>
      session.logger.error({ err: String(err) }, 'could not report the media stream to the workflow'),
    );
  }

  onAudio(session: MediaLeg, payload: Buffer, missingBefore: number): void {
    const call = this.calls.get(session.callId);
    if (!call || call.session !== session) return;
    call.chain = call.chain
      .then(async () => {
        const events: EndpointerEvent[] = [];
        if (missingBefore > 0) events.push(...(await call.endpointer.pushGap(missingBefore * 20)));
        events.push(...(await call.endpointer.pushFrame(payload)));
        this.feedListener(call, payload);
        for (const event of events) await this.handle(call, event);
      })
      .catch((err: unknown) => {
        session.logger.error({ err: String(err) }, 'audio processing failed');
        session.close(CLOSE.invalidPayload, 'audio processing failed');
      });
  }

  onStop(session: MediaLeg, reason: string): void {
    const call = this.calls.get(session.callId);
    if (!call || call.session !== session) return;
    this.calls.delete(session.callId);
    metrics.activeMediaCalls.dec();
    for (const waiting of call.waiters.values()) for (const resolve of waiting) resolve('superseded');
    call.waiters.clear();
    call.playback.stop();
    call.markStopped(reason);
    call.chain = call.chain
      .then(async () => {
        for (const event of await call.endpointer.finish()) await this.handle(call, event);
      })
      .catch(() => undefined)
      .finally(() => {
        call.phrases.clear();
        this.options.listener.onMediaStopped?.(session.callId, reason);
      });
  }

  /**
   * A session that recognises while the callee talks: from now on it gets the audio of the
   * callee's speech as it arrives (from just before each phrase starts) and a commit where each
   * phrase, or a part of it before a pause, ends.
   */
  attachListener(callId: string, sink: CalleeAudioSink): void {
    const call = this.calls.get(callId);
    if (call) call.listener = { sink, streaming: false, recent: [], pieces: [], phrase: [] };
  }

  /** A frame for the listening session: sent while the callee speaks, kept a moment otherwise (the next phrase's pre-roll). */
  private feedListener(call: CallAudio, frame: Uint8Array): void {
    const listener = call.listener;
    if (!listener) return;
    if (listener.streaming) {
      listener.sink.append(frame);
      listener.phrase.push(frame);
      return;
    }
    listener.recent.push(frame);
    if (listener.recent.length > LISTENER_LOOKBACK_FRAMES) listener.recent.shift();
  }

  /** The listening session's part of an endpointer event; returns the stream pieces of a phrase handed on now. */
  private listenTo(call: CallAudio, event: EndpointerEvent, confirmsProvisional: boolean): string[] | undefined {
    const listener = call.listener;
    if (!listener) return undefined;
    try {
      switch (event.type) {
        case 'speechStart':
          // Whatever lingered since the last commit was not speech; the phrase starts with its pre-roll.
          listener.sink.discard();
          for (const frame of listener.recent) listener.sink.append(frame);
          listener.phrase = listener.recent;
          listener.recent = [];
          listener.pieces = [];
          listener.streaming = true;
          return undefined;
        case 'speechPause':
          if (!listener.streaming) return undefined;
          // A later pause in the same phrase: the phrase so far as one piece (see speechEnd).
          listener.pieces = listener.pieces.length > 0 ? [listener.sink.recommit(listener.phrase, listener.pieces)] : [listener.sink.commit()];
          return [...listener.pieces];
        case 'speechEnd':
          if (!listener.streaming) return undefined;
          listener.streaming = false;
          if (confirmsProvisional) {
            listener.sink.discard(); // only the silence after the pause's commit
            listener.phrase = [];
            return undefined;
          }
          // Cut at a pause and then gone on: the whole phrase as one piece, so no sentence is heard in halves.
          listener.pieces = listener.pieces.length > 0 ? [listener.sink.recommit(listener.phrase, listener.pieces)] : [listener.sink.commit()];
          listener.phrase = [];
          return [...listener.pieces];
        default:
          return undefined;
      }
    } catch (err) {
      // The listening session is a speed-up: without it the phrase is transcribed whole.
      call.session.logger.warn({ err_message: String(err) }, 'listening session refused audio: phrases go to recognition whole');
      listener.streaming = false;
      return undefined;
    }
  }

  /** The audio of one of the callee's phrases on a call of this gateway, or null when it is not here. */
  phraseAudio(callId: string, utteranceId: string): PhraseAudio | null {
    return this.calls.get(callId)?.phrases.get(utteranceId) ?? null;
  }

  /** When a phrase was handed on to the workflow (performance.now()), for the turn's dispatch time. */
  phraseHandedOnAt(callId: string, utteranceId: string | undefined): number | null {
    return utteranceId === undefined ? null : (this.calls.get(callId)?.phrases.get(utteranceId)?.handedOnAt ?? null);
  }

  /** Resolves with the reason when the call's media leg stops; null when the call has no media here. */
  whenStopped(callId: string): Promise<string> | null {
    return this.calls.get(callId)?.stopped ?? null;
  }

  /** Stops what is playing on the call now and drops what is queued (a cancelled turn); true when something was cut. */
  cutPlayback(callId: string): boolean {
    const call = this.calls.get(callId);
    if (!call?.playback.playing) return false;
    const droppedMs = call.playback.bargeIn();
    call.session.logger.info({ dropped_ms: droppedMs }, 'playback cut: the turn was cancelled');
    return true;
  }

  /** Closes the call's media leg from our side (the workflow hung up); false when it is not on this gateway. */
  closeLeg(callId: string, reason: string): boolean {
    const call = this.calls.get(callId);
    if (!call) return false;
    call.session.close(CLOSE.normal, reason);
    return true;
  }

  /** Calls with media on this gateway now. */
  get activeCalls(): number {
    return this.calls.size;
  }

  /** Plays assistant audio on a call; rejects when the call has no media stream. */
  async play(
    callId: string,
    audio: AsyncIterable<Int16Array>,
    sourceRate: number,
    options: { onInterrupt?: () => void; answering?: string; part?: ReplyPart } = {},
  ): Promise<PlaybackResult & TurnTiming> {
    let call = this.calls.get(callId);
    if (!call) throw new NoMediaSessionError(callId);
    const { part } = options;
    // Parts of one reply arrive as separate requests: they go on the line in their order.
    const order = part ? this.turnOf(call, part.turn) : null;
    if (part && order) await order.ready(part.index);
    let queued: Promise<PlaybackResult> | null = null;
    try {
      if (options.answering !== undefined && (await this.phraseOutcome(call, options.answering)) === 'superseded') {
        // The callee was only pausing: this reply is never played; the whole phrase gets its own turn.
        return { playedMs: 0, interrupted: false, firstFrameAt: null, voiceToVoiceMs: null, greetingMs: null, endpointingMs: null, superseded: true };
      }
      call = this.calls.get(callId);
      if (!call) throw new NoMediaSessionError(callId);
      // Only the first part of a reply answers the callee's phrase (voice-to-voice is measured on it).
      const measures = !part || part.index === 0;
      const speechEndAt = measures ? call.lastSpeechEndAt : null;
      const endpointingMs = call.lastEndpointingMs;
      if (measures) {
        call.lastSpeechEndAt = null;
        call.lastEndpointingMs = null;
      }
      const before = call.playback.counters();
      queued = call.playback.play(audio, sourceRate, options);
      if (part) order?.done(part.index);
      const result = await queued;
      const after = call.playback.counters();
      metrics.playbackUnderruns.inc(after.underruns - before.underruns);
      metrics.playbackResyncs.inc(after.resyncs - before.resyncs);
      let voiceToVoiceMs: number | null = null;
      let greetingMs: number | null = null;
      if (result.firstFrameAt !== null) {
        if (speechEndAt !== null) {
          voiceToVoiceMs = Math.round(result.firstFrameAt - speechEndAt);
          metrics.voiceToVoice.observe(voiceToVoiceMs / 1000);
        } else if (!call.greeted && measures) {
          greetingMs = Math.round(result.firstFrameAt - call.startedAt);
          metrics.stage.observe({ stage: 'greeting' }, greetingMs / 1000);
        }
        call.greeted = true;
      }
      return { ...result, voiceToVoiceMs, greetingMs, endpointingMs: speechEndAt === null ? null : endpointingMs, superseded: false };
    } finally {
      if (part && !queued) order?.done(part.index); // never block the later parts
    }
  }

  /** The order keeper of one reply's parts (created on first use, dropped when its last part is queued). */
  private turnOf(call: CallAudio, turn: string): ReplyOrder {
    let order = call.replies.get(turn);
    if (!order) {
      order = new ReplyOrder(() => call.replies.delete(turn));
      call.replies.set(turn, order);
    }
    return order;
  }

  /** Whether the utterance a reply answers ended the phrase; waits while that is still open. */
  private phraseOutcome(call: CallAudio, utteranceId: string): Promise<'confirmed' | 'superseded'> {
    if (call.superseded.has(utteranceId)) return Promise.resolve('superseded');
    if (call.provisional?.utteranceId !== utteranceId) return Promise.resolve('confirmed');
    return new Promise((resolve) => {
      const waiting = call.waiters.get(utteranceId) ?? [];
      waiting.push(resolve);
      call.waiters.set(utteranceId, waiting);
    });
  }

  private settle(call: CallAudio, utteranceId: string, outcome: 'confirmed' | 'superseded'): void {
    if (outcome === 'superseded') call.superseded.add(utteranceId);
    for (const resolve of call.waiters.get(utteranceId) ?? []) resolve(outcome);
    call.waiters.delete(utteranceId);
  }

  hasCall(callId: string): boolean {
    return this.calls.has(callId);
  }

  private async handle(call: CallAudio, event: EndpointerEvent): Promise<void> {
    const { session } = call;
    switch (event.type) {
      case 'speechStart':
        this.listenTo(call, event, false);
        if (call.playback.playing) {
          const droppedMs = call.playback.bargeIn();
          session.logger.info({ dropped_ms: droppedMs }, 'barge-in: playback stopped');
          this.options.listener.onBargeIn?.(session.callId);
        }
        return;
      case 'speechResumed':
        // The callee only paused: the provisional phrase is withdrawn (its reply, if any, is dropped).
        if (call.provisional && !call.provisional.resumed) {
          call.provisional.resumed = true;
          this.settle(call, call.provisional.utteranceId, 'superseded');
          session.logger.info({ utterance_id: call.provisional.utteranceId }, 'callee went on talking: provisional phrase withdrawn');
        }
        return;
      case 'speechPause': {
        const supersedes = call.provisional?.resumed ? call.provisional.utteranceId : undefined;
        const utteranceId = this.nextUtteranceId(call);
        call.provisional = { utteranceId, resumed: false }; // before the workflow can ask to answer it
        await this.report(call, utteranceId, event, true, supersedes, this.listenTo(call, event, false));
        return;
      }
      case 'speechEnd': {
        const open = call.provisional;
        call.provisional = null;
        const confirmsProvisional = open !== null && !open.resumed && !event.forced;
        const streamPieces = this.listenTo(call, event, confirmsProvisional);
        if (open && confirmsProvisional) {
          // The provisional phrase was the whole phrase: its reply (prepared meanwhile) may play now.
          this.settle(call, open.utteranceId, 'confirmed');
          return;
        }
        if (open && !open.resumed) this.settle(call, open.utteranceId, 'superseded');
        await this.report(call, this.nextUtteranceId(call), event, false, open?.utteranceId, streamPieces);
        return;
      }
    }
  }

  private nextUtteranceId(call: CallAudio): string {
    call.utterances += 1;
    return `utt-${String(call.utterances).padStart(3, '0')}`;
  }

  /** Keeps a phrase's audio for the turn and tells the listener (the workflow). */
  private async report(
    call: CallAudio,
    utteranceId: string,
    event: Omit<SpeechEndEvent, 'type'>,
    tentative: boolean,
    supersedes: string | undefined,
    streamPieces: string[] | undefined,
  ): Promise<void> {
    const { session } = call;
    // The phrase ended `positionMs - endMs` ago: that wait is the endpointing silence.
    const endpointingMs = Math.max(0, call.endpointer.positionMs - event.endMs);
    const speechEndedAt = performance.now() - endpointingMs;
    call.lastSpeechEndAt = speechEndedAt;
    call.lastEndpointingMs = Math.round(endpointingMs);
    metrics.stage.observe({ stage: 'endpointing' }, endpointingMs / 1000);
    call.phrases.set(utteranceId, {
      pcm: event.utterance,
      sampleRate: event.sampleRate,
      durationMs: event.durationMs,
      handedOnAt: performance.now(),
      ...(streamPieces ? { streamPieces } : {}),
    });
    for (const old of call.phrases.keys()) {
      if (call.phrases.size <= MAX_PHRASES_KEPT) break;
      call.phrases.delete(old);
    }
    session.logger.info({ utterance_id: utteranceId, duration_ms: Math.round(event.durationMs), tentative, supersedes }, 'callee utterance');
    await this.options.listener.onUtterance(session.callId, {
      durationMs: Math.round(event.durationMs),
      utteranceId,
      endedAt: new Date(Date.now() - endpointingMs).toISOString(),
      speechEndedAt,
      tentative,
      ...(supersedes !== undefined ? { supersedes } : {}),
    });
  }
}

/** One part of a reply spoken in several requests (first sentence, then the rest). */
export interface ReplyPart {
  turn: string;
  index: number;
}

/** Lets part n of a reply onto the line only after parts 0..n-1 were queued (or gave up). */
class ReplyOrder {
  private next = 0;
  private readonly waiting = new Map<number, () => void>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly onIdle: () => void) {}

  ready(index: number): Promise<void> {
    if (index <= this.next) return Promise.resolve();
    return new Promise((resolve) => this.waiting.set(index, resolve));
  }

  done(index: number): void {
    if (index < this.next) return;
    this.next = index + 1;
    this.waiting.get(this.next)?.();
    this.waiting.delete(this.next);
    // Forgotten a while after the last part we saw (a reply has a handful of parts at most).
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.waiting.size === 0 && this.onIdle(), 60_000);
    this.timer.unref();
  }
}

export class NoMediaSessionError extends Error {
  constructor(callId: string) {
    super(`call ${callId} has no media stream`);
    this.name = 'NoMediaSessionError';
  }
}
