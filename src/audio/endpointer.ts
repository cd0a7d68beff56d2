import { decodeFrame, type MediaFormat } from './media-format';
import { concatPcm } from './pcm';
import { createResampler } from './resampler';
import type { VoiceActivityDetector } from './vad';

/**
 * Turns call audio into phrases: decodes call frames, resamples them to the detector's rate, runs the VAD per
 * window and applies the phrase rules (hysteresis, minimum speech, trailing silence, pre-roll).
 * All times are ms of call audio since the stream (or the last finish()) began, gaps included.
 */
export interface EndpointerOptions {
  vad: VoiceActivityDetector;
  callFormat: MediaFormat;
  /** A window at or above this probability opens a phrase. Default 0.5. */
  speechThreshold?: number;
  /** Inside a phrase a window counts as speech down to this probability (hysteresis). Default speechThreshold - 0.15. */
  silenceThreshold?: number;
  /** Trailing silence that ends a phrase. Default 500. */
  silenceMs?: number;
  /**
   * A shorter silence after which the phrase so far is handed on provisionally (`speechPause`), so
   * the reply can be prepared while the full `silenceMs` is still being waited for; if the callee
   * goes on talking, `speechResumed` withdraws it. Unset: no provisional ends.
   */
  tentativeSilenceMs?: number;
  /**
   * Speech needed before a phrase counts (clicks, coughs and line noise are shorter). Default 150: a brisk
   * "Да." scores only 160-224 ms of speech windows, and Silero itself already scores clicks and hiss near 0.
   */
  minSpeechMs?: number;
  /** Audio kept before the detected start so the first syllable is not clipped. Default 200. */
  preRollMs?: number;
  /** Audio kept after the detected end (final consonants fade below the threshold). Default 100. */
  postRollMs?: number;
  /** A phrase this long is cut (forced end) so STT gets bounded uploads. Default 30000. */
  maxUtteranceMs?: number;
}

export interface SpeechStartEvent {
  type: 'speechStart';
  /** Where speech began; the event itself comes minSpeechMs later, once the phrase is confirmed. */
  atMs: number;
}

export interface SpeechEndEvent {
  type: 'speechEnd';
  /** Mono PCM at `sampleRate` (the detector's rate: 8000 or 16000), from audioStartMs: pre-roll + speech + post-roll. */
  utterance: Int16Array;
  sampleRate: number;
  audioStartMs: number;
  startMs: number;
  endMs: number;
  durationMs: number;
  /** True when cut by maxUtteranceMs rather than ended by silence. */
  forced: boolean;
}

/** The phrase so far, after `tentativeSilenceMs` of silence: probably its end, not yet confirmed. */
export interface SpeechPauseEvent extends Omit<SpeechEndEvent, 'type'> {
  type: 'speechPause';
}

/** Speech again after a `speechPause`: that provisional phrase was not the end. */
export interface SpeechResumedEvent {
  type: 'speechResumed';
  atMs: number;
}

export type EndpointerEvent = SpeechStartEvent | SpeechEndEvent | SpeechPauseEvent | SpeechResumedEvent;

export interface Endpointer {
  /**
   * One frame of call audio (normally 20 ms). If `atMs` (the frame's media time) is given and lies ahead of
   * positionMs, the hole is filled with silence first: that is one way to report lost frames.
   */
  pushFrame(payload: Uint8Array, atMs?: number): Promise<EndpointerEvent[]>;
  /** The other way: `ms` of audio that never arrived (lost packets, jitter-buffer underrun); treated as silence. */
  pushGap(ms: number): Promise<EndpointerEvent[]>;
  /** End of stream: closes an open phrase, then resets everything (times start again from 0). */
  finish(): Promise<EndpointerEvent[]>;
  /** Call audio consumed so far, ms. */
  readonly positionMs: number;
}

export function createEndpointer(options: EndpointerOptions): Endpointer {
  const { vad, callFormat } = options;
  const rate = vad.sampleRate;
  const window = vad.frameSamples;
  const toSamples = (ms: number) => Math.round((ms * rate) / 1000);
  const toMs = (samples: number) => (samples * 1000) / rate;
  const speechThreshold = options.speechThreshold ?? 0.5;
  const silenceThreshold = options.silenceThreshold ?? Math.max(0.01, speechThreshold - 0.15);
  const silenceSamples = toSamples(options.silenceMs ?? 500);
  const tentativeSamples =
    options.tentativeSilenceMs !== undefined && options.tentativeSilenceMs < (options.silenceMs ?? 500) ? toSamples(options.tentativeSilenceMs) : null;
  const minSpeechSamples = toSamples(options.minSpeechMs ?? 150);
  const preRoll = toSamples(options.preRollMs ?? 200);
  const postRoll = toSamples(options.postRollMs ?? 100);
  const maxUtterance = toSamples(options.maxUtteranceMs ?? 30_000);

  let resampler = createResampler(callFormat.sampleRate, rate);
  let callSamples = 0;
  let pending: Int16Array = new Int16Array(0); // analysis-rate samples not yet filling a window
  let analysed = 0; // analysis samples already windowed
  let history: Int16Array[] = []; // analysed windows still needed (pre-roll or the open phrase)
  let historyStart = 0;
  let phase: 'silence' | 'candidate' | 'speech' = 'silence';
  let startSample = 0;
  let lastVoicedEnd = 0;
  let voicedSamples = 0;
  let silenceRun = 0;
  /** A `speechPause` went out for the current silence run. */
  let paused = false;

  const phraseAudio = (endSample: number, forced: boolean): Omit<SpeechEndEvent, 'type'> => {
    const audioStart = Math.max(historyStart, startSample - preRoll);
    const audioEnd = Math.min(analysed, forced ? endSample : endSample + postRoll);
    const utterance = concatPcm(history).slice(audioStart - historyStart, audioEnd - historyStart);
    const startMs = toMs(startSample);
    const endMs = toMs(endSample);
    return { utterance, sampleRate: rate, audioStartMs: toMs(audioStart), startMs, endMs, durationMs: endMs - startMs, forced };
  };
  const endPhrase = (endSample: number, forced: boolean): SpeechEndEvent => {
    const phrase = phraseAudio(endSample, forced);
    phase = 'silence';
    paused = false;
    return { type: 'speechEnd', ...phrase };
  };

  const trimHistory = () => {
    const keepFrom = phase === 'silence' ? analysed - preRoll : startSample - preRoll;
    while (history.length > 0 && historyStart + (history[0]?.length ?? 0) <= keepFrom) {
      historyStart += history.shift()?.length ?? 0;
    }
  };

  const step = (frame: Int16Array, probability: number, events: EndpointerEvent[]) => {
    const windowStart = analysed;
    analysed += frame.length;
    history.push(frame);
    if (phase === 'silence') {
      if (probability >= speechThreshold) {
        phase = 'candidate';
        startSample = windowStart;
        voicedSamples = frame.length;
        lastVoicedEnd = analysed;
        silenceRun = 0;
      }
    } else if (probability >= silenceThreshold) {
      voicedSamples += frame.length;
      lastVoicedEnd = analysed;
      silenceRun = 0;
      if (paused) {
        paused = false;
        events.push({ type: 'speechResumed', atMs: toMs(windowStart) });
      }
    } else {
      silenceRun += frame.length;
    }
    if (phase === 'candidate') {
      if (voicedSamples >= minSpeechSamples) {
        phase = 'speech';
        events.push({ type: 'speechStart', atMs: toMs(startSample) });
      } else if (silenceRun >= silenceSamples) {
        phase = 'silence'; // too little speech: a click or a noise burst
      }
    }
    if (phase === 'speech') {
      if (silenceRun >= silenceSamples) events.push(endPhrase(lastVoicedEnd, false));
      else if (analysed - startSample >= maxUtterance) events.push(endPhrase(analysed, true));
      else if (tentativeSamples !== null && !paused && silenceRun >= tentativeSamples) {
        paused = true;
        events.push({ type: 'speechPause', ...phraseAudio(lastVoicedEnd, false) });
      }
    }
    trimHistory();
  };

  const analyse = async (pcm: Int16Array): Promise<EndpointerEvent[]> => {
    const events: EndpointerEvent[] = [];
    pending = pending.length > 0 ? concatPcm([pending, pcm]) : pcm;
    let offset = 0;
    for (; pending.length - offset >= window; offset += window) {
      const frame = pending.slice(offset, offset + window);
      step(frame, await vad.probability(frame), events);
    }
    pending = pending.slice(offset);
    return events;
  };

  const consume = (callPcm: Int16Array) => {
    callSamples += callPcm.length;
    return analyse(resampler.push(callPcm));
  };

  const positionMs = () => (callSamples * 1000) / callFormat.sampleRate;
  const gapPcm = (ms: number) => new Int16Array(Math.max(0, Math.round((ms * callFormat.sampleRate) / 1000)));

  // Detector state and the phrase rules are sequential: run operations one at a time even if callers don't await.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(op: () => Promise<T>): Promise<T> => {
    const run = queue.then(op);
    queue = run.catch(() => undefined);
    return run;
  };

  return {
    pushFrame: (payload, atMs) =>
      serial(async () => {
        const hole = atMs === undefined ? 0 : atMs - positionMs();
        const events = hole >= 1 ? await consume(gapPcm(hole)) : [];
        return events.concat(await consume(decodeFrame(callFormat, payload)));
      }),
    pushGap: (ms) => serial(() => consume(gapPcm(ms))),
    finish: () =>
      serial(async () => {
        const events = await analyse(resampler.flush()); // a last partial window is dropped (< 32 ms)
        if (phase === 'speech') events.push(endPhrase(lastVoicedEnd, false));
        resampler = createResampler(callFormat.sampleRate, rate);
        vad.reset?.();
        callSamples = analysed = historyStart = voicedSamples = silenceRun = 0;
        pending = new Int16Array(0);
        history = [];
        phase = 'silence';
        paused = false;
        return events;
      }),
    get positionMs() {
      return positionMs();
    },
  };
}
