import { concatPcm, createResampler, decodeFrame, encodeFrame, frameSamples, rms, type MediaFormat } from '../../audio';
import { synthesizeSpokenLine } from '../../speech-synthesis';

/** Loudness (RMS of 16-bit samples) above which what the callee hears counts as speech. */
const HEARD_SPEECH_RMS = 300;
/** Silence after operator speech that the callee takes as "their turn". */
const OPERATOR_PAUSE_MS = 600;

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
  private readonly outgoing: Buffer[] = [];
  private readonly silenceFrame: Buffer;
  private operatorSpeaking = false;
  private lastLoudAt = 0;
  /** Decoded operator audio as heard on the line (call rate). */
  readonly heard: Int16Array[] = [];

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
      this.outgoing.push(encodeFrame(this.options.format, frame));
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
    return this.outgoing.shift() ?? this.silenceFrame;
  }

  /** One chunk of the operator's audio, encoded in the line's format. */
  hear(payload: Buffer, now = performance.now()): void {
    const pcm = decodeFrame(this.options.format, payload);
    this.heard.push(pcm);
    if (rms(pcm) >= HEARD_SPEECH_RMS) {
      if (!this.operatorSpeaking) this.options.onOperatorSpeechStart?.();
      this.operatorSpeaking = true;
      this.lastLoudAt = now;
    }
  }

  /** Milliseconds of operator audio heard. */
  heardMs(): number {
    return this.heard.reduce((ms, frame) => ms + (frame.length * 1000) / this.options.format.sampleRate, 0);
  }
}
