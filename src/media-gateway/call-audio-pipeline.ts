import { createEndpointer, encodeWav, parseMediaFormat, type Endpointer, type EndpointerEvent, type MediaFormat, type SileroModel } from '../audio';
import type { AudioRef, AudioStore } from '../audio-store/audio-store';
import type { Logger } from '../logging/logger';
import { metrics } from '../metrics/metrics';
import { CallPlayback, type PlaybackResult } from './call-playback';
import type { MediaCallHandler } from './gateway-server';
import type { MediaSession } from './media-session';
import { CLOSE } from './protocol';

/** Where the pipeline reports what happened on a call (the gateway process signals the workflow). */
export interface CallMediaListener {
  /** A finished phrase of the callee, stored in the audio store. */
  onUtterance(callId: string, utterance: { audio: AudioRef; utteranceId: string; endedAt: string; speechEndedAt: number }): Promise<void>;
  /** The callee started talking while the assistant was playing (playback already cut). */
  onBargeIn?(callId: string): void;
  onMediaStopped?(callId: string, reason: string): void;
}

export interface EndpointingSettings {
  /** Trailing silence that ends a phrase (ms). */
  silenceMs: number;
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
  session: MediaSession;
  /** performance.now() when the callee's last phrase really ended (not when the silence confirmed it). */
  lastSpeechEndAt: number | null;
  lastEndpointingMs: number | null;
  /** performance.now() when the stream started (the answer), for the greeting latency. */
  startedAt: number;
  greeted: boolean;
}

export interface TurnTiming {
  /** Callee speech end -> first assistant frame; null when no phrase preceded this playback (greeting). */
  voiceToVoiceMs: number | null;
  /** Media start -> first frame, for the first playback of a call (the greeting). */
  greetingMs: number | null;
  /** How long the trailing silence wait took before the phrase was handed on. */
  endpointingMs: number | null;
}

/**
 * The audio side of every call in the gateway: callee frames -> VAD endpointing -> utterance WAV in
 * the audio store -> listener; assistant audio -> `CallPlayback`; callee speech during playback ->
 * barge-in. One call's failure closes that call's connection only.
 */
export class CallAudioPipeline implements MediaCallHandler {
  private readonly calls = new Map<string, CallAudio>();

  constructor(
    private readonly options: {
      vad: SileroModel;
      store: AudioStore;
      listener: CallMediaListener;
      logger: Logger;
      endpointing: EndpointingSettings;
    },
  ) {}

  onStart(session: MediaSession): void {
    let format: MediaFormat;
    try {
      format = parseMediaFormat(session.format!.encoding, session.format!.sampleRate);
    } catch (err) {
      session.logger.warn({ format: session.format, err: String(err) }, 'unsupported media format');
      session.close(CLOSE.unsupportedData, `unsupported media format ${session.format!.encoding}/${session.format!.sampleRate}`);
      return;
    }
    const vad = this.options.vad.createDetector(format.sampleRate === 8000 ? 8000 : 16000);
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
    });
    metrics.activeMediaCalls.inc();
    session.logger.info({ encoding: format.encoding, sample_rate: format.sampleRate }, 'media stream started');
  }

  onAudio(session: MediaSession, payload: Buffer, missingBefore: number): void {
    const call = this.calls.get(session.callId);
    if (!call || call.session !== session) return;
    call.chain = call.chain
      .then(async () => {
        const events: EndpointerEvent[] = [];
        if (missingBefore > 0) events.push(...(await call.endpointer.pushGap(missingBefore * 20)));
        events.push(...(await call.endpointer.pushFrame(payload)));
        for (const event of events) await this.handle(call, event);
      })
      .catch((err: unknown) => {
        session.logger.error({ err: String(err) }, 'audio processing failed');
        session.close(CLOSE.invalidPayload, 'audio processing failed');
      });
  }

  onStop(session: MediaSession, reason: string): void {
    const call = this.calls.get(session.callId);
    if (!call || call.session !== session) return;
    this.calls.delete(session.callId);
    metrics.activeMediaCalls.dec();
    call.playback.stop();
    call.chain = call.chain
      .then(async () => {
        for (const event of await call.endpointer.finish()) await this.handle(call, event);
      })
      .catch(() => undefined)
      .finally(() => this.options.listener.onMediaStopped?.(session.callId, reason));
  }

  /** Plays assistant audio on a call; rejects when the call has no media stream. */
  async play(
    callId: string,
    audio: AsyncIterable<Int16Array>,
    sourceRate: number,
    options: { onInterrupt?: () => void } = {},
  ): Promise<PlaybackResult & TurnTiming> {
    const call = this.calls.get(callId);
    if (!call) throw new NoMediaSessionError(callId);
    const speechEndAt = call.lastSpeechEndAt;
    const endpointingMs = call.lastEndpointingMs;
    call.lastSpeechEndAt = null;
    call.lastEndpointingMs = null;
    const underrunsBefore = call.playback.stats().underruns;
    const result = await call.playback.play(audio, sourceRate, options);
    metrics.playbackUnderruns.inc(call.playback.stats().underruns - underrunsBefore);
    let voiceToVoiceMs: number | null = null;
    let greetingMs: number | null = null;
    if (result.firstFrameAt !== null) {
      if (speechEndAt !== null) {
        voiceToVoiceMs = Math.round(result.firstFrameAt - speechEndAt);
        metrics.voiceToVoice.observe(voiceToVoiceMs / 1000);
      } else if (!call.greeted) {
        greetingMs = Math.round(result.firstFrameAt - call.startedAt);
        metrics.stage.observe({ stage: 'greeting' }, greetingMs / 1000);
      }
      call.greeted = true;
    }
    return { ...result, voiceToVoiceMs, greetingMs, endpointingMs: speechEndAt === null ? null : endpointingMs };
  }

  hasCall(callId: string): boolean {
    return this.calls.has(callId);
  }

  private async handle(call: CallAudio, event: EndpointerEvent): Promise<void> {
    const { session } = call;
    if (event.type === 'speechStart') {
      if (call.playback.playing) {
        const droppedMs = call.playback.bargeIn();
        session.logger.info({ dropped_ms: droppedMs }, 'barge-in: playback stopped');
        this.options.listener.onBargeIn?.(session.callId);
      }
      return;
    }
    // The phrase ended `positionMs - endMs` ago: that wait is the endpointing silence.
    const endpointingMs = Math.max(0, call.endpointer.positionMs - event.endMs);
    const speechEndedAt = performance.now() - endpointingMs;
    call.lastSpeechEndAt = speechEndedAt;
    call.lastEndpointingMs = Math.round(endpointingMs);
    metrics.stage.observe({ stage: 'endpointing' }, endpointingMs / 1000);
    call.utterances += 1;
    const utteranceId = `utt-${String(call.utterances).padStart(3, '0')}`;
    const audio = await this.options.store.put(`${session.callId}/${utteranceId}.wav`, encodeWav(event.utterance, event.sampleRate), event.durationMs);
    session.logger.info({ utterance_id: utteranceId, duration_ms: Math.round(event.durationMs) }, 'callee utterance');
    await this.options.listener.onUtterance(session.callId, { audio, utteranceId, endedAt: new Date().toISOString(), speechEndedAt });
  }
}

export class NoMediaSessionError extends Error {
  constructor(callId: string) {
    super(`call ${callId} has no media stream`);
    this.name = 'NoMediaSessionError';
  }
}
