import { concatPcm, createResampler, decodeFrame, encodeFrame, frameSamples, rms, type MediaFormat } from '../../audio';
import { synthesizeSpokenLine } from '../../speech-synthesis';

/** Loudness (RMS of 16-bit samples) above which what the callee hears counts as speech. */
const HEARD_SPEECH_RMS = 300;
/** Silence after operator speech that the callee takes as "their turn". */
const OPERATOR_PAUSE_MS = 600;

/** The callee's own voice is synthesised over digital silence: anything above this is still its speech (the fading end of a word included). */
const OWN_SPEECH_RMS = 20;
/** Frame arrival intervals are binned by whole milliseconds of deviation from 20 ms, up to this. */
const JITTER_BINS = 101;
/** Longer than this between two operator frames is a new burst (a new reply), not jitter. */
const BURST_GAP_MS = 600;
/** A pause longer than this inside one operator phrase is an audible gap (a dropout on a real line). */
const AUDIBLE_GAP_MS = 60;

/** One answer as the callee experienced it (epoch ms, to line up with the service's own records). */
export interface HeardReply {
  /** End of the callee's last audible frame (its true end of speech). */
  speechEndedAtMs: number;
  /** The first operator frame that arrived after it. */
  replyHeardAtMs: number;
}

/** What the callee's ear measured on this line: voice-to-voice per answer and frame arrival jitter. */
export interface CalleeEarReport {
  replies: HeardReply[];
  /** Histogram of |interval - 20 ms| between consecutive operator frames; bin i = i ms (last bin: more). */
  arrivalJitterMs: number[];
  /** Pauses of more than 60 ms between frames inside an operator phrase. */
  audibleGaps: number;
  framesHeard: number;
}

const epochNow = (now: number) => performance.timeOrigin + now;

export interface CalleeVoiceOptions {
  /** The line's audio format, both ways. */
  format: MediaFormat;
  /** The operator finished a phrase (the callee's own ear: silence after speech). */
  onOperatorPhraseEnd(): void;
  /** The operator started talking. */
  onOperatorSpeechStart?(): void;
}

/**
 * The virtual callee's mouth and ear, whatever carries the audio (our own media WebSocket, an
 * emulated Voximplant call): Russian lines synthesised by eSpeak NG and cut into 20 ms frames of
 * the line's format, and everything heard from the operator, with the pause that ends its phrase.
 */
export class CalleeVoice {
  private readonly outgoing: { frame: Buffer; loud: boolean }[] = [];
  /** Ear measurements: the callee's last phrase end still waiting for an answer, and what was measured. */
  private lastLoudSentAt: number | null = null;
  private awaitingReplySince: number | null = null;
  private lastHeardAt: number | null = null;
  private readonly ear: CalleeEarReport = { replies: [], arrivalJitterMs: new Array<number>(JITTER_BINS).fill(0), audibleGaps: 0, framesHeard: 0 };
  private readonly silenceFrame: Buffer;
  private operatorSpeaking = false;
  private lastLoudAt = 0;
  /** Decoded operator audio as heard on the line (call rate). */
  readonly heard: Int16Array[] = [];
  /** Wall-clock time (epoch ms) of the last operator frame heard as speech. */
  lastVoicedAtMs: number | null = null;

  constructor(private readonly options: CalleeVoiceOptions) {
    this.silenceFrame = encodeFrame(options.format, new Int16Array(frameSamples(options.format)));
  }

  /** Queues a line (` | ` marks a pause); it goes out after what is already queued. Returns its length in ms. */
  async say(line: string): Promise<number> {
    const voice = await synthesizeSpokenLine(line, { voice: 'ru' });
    const resampler = createResampler(voice.sampleRate, this.options.format.sampleRate);
    const pcm = concatPcm([resampler.push(voice.samples), resampler.flush()]);
    const size = frameSamples(this.options.format);
    for (let i = 0; i < pcm.length; i += size) {
      const frame = new Int16Array(size);
      frame.set(pcm.subarray(i, i + size));
      this.outgoing.push({ frame: encodeFrame(this.options.format, frame), loud: rms(frame) >= OWN_SPEECH_RMS });
    }
    return (pcm.length / this.options.format.sampleRate) * 1000;
  }

  get speaking(): boolean {
    return this.outgoing.length > 0;
  }

  /** The next 20 ms to send: queued speech, else silence. Call it every 20 ms: it also runs the ear's clock. */
  nextFrame(now = performance.now()): Buffer {
    if (this.operatorSpeaking && now - this.lastLoudAt >= OPERATOR_PAUSE_MS) {
      this.operatorSpeaking = false;
      this.options.onOperatorPhraseEnd();
    }
    const next = this.outgoing.shift();
    if (next?.loud) this.lastLoudSentAt = now + 20;
    if (!next && this.lastLoudSentAt !== null) {
      // The phrase is out: from its last loud frame the callee waits for an answer.
      this.awaitingReplySince = this.lastLoudSentAt;
      this.lastLoudSentAt = null;
    }
    return next?.frame ?? this.silenceFrame;
  }

  /** Voice-to-voice per answer and frame arrival figures, as this callee heard them. */
  earReport(): CalleeEarReport {
    return { ...this.ear, replies: [...this.ear.replies], arrivalJitterMs: [...this.ear.arrivalJitterMs] };
  }

  /** One chunk of the operator's audio, encoded in the line's format. */
  hear(payload: Buffer, now = performance.now()): void {
    const pcm = decodeFrame(this.options.format, payload);
    this.heard.push(pcm);
    this.measureArrival(now);
    if (rms(pcm) >= HEARD_SPEECH_RMS) {
      if (!this.operatorSpeaking) this.options.onOperatorSpeechStart?.();
      this.operatorSpeaking = true;
      this.lastLoudAt = now;
      this.lastVoicedAtMs = epochNow(now);
    }
  }

  private measureArrival(now: number): void {
    this.ear.framesHeard += 1;
    if (this.awaitingReplySince !== null && this.outgoing.length === 0) {
      this.ear.replies.push({ speechEndedAtMs: epochNow(this.awaitingReplySince), replyHeardAtMs: epochNow(now) });
      this.awaitingReplySince = null;
    }
    if (this.lastHeardAt !== null) {
      const interval = now - this.lastHeardAt;
      if (interval < BURST_GAP_MS) {
        this.ear.arrivalJitterMs[Math.min(JITTER_BINS - 1, Math.round(Math.abs(interval - 20)))]! += 1;
        if (interval > AUDIBLE_GAP_MS) this.ear.audibleGaps += 1;
      }
    }
    this.lastHeardAt = now;
  }

  /** Milliseconds of operator audio heard. */
  heardMs(): number {
    return this.heard.reduce((ms, frame) => ms + (frame.length * 1000) / this.options.format.sampleRate, 0);
  }
}
