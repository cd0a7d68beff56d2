import type { ReplyModel, ReplyRequest } from './reply-model';
import type { SpeechCall } from './speech-call';
import type { PhraseAudio, PhraseTranscript, SpeechToText } from './speech-to-text';
import type { TextToSpeech } from './text-to-speech';
import type { SpokenPiece, VoiceOperator, VoiceOperatorSession } from './voice-operator';

export interface CascadeVoiceOperatorOptions {
  stt: SpeechToText;
  replyModel: ReplyModel;
  tts: TextToSpeech;
  /**
   * streamed: the first piece is voiced as soon as the model completes it, the rest in one more
   * synthesis once the model is done (no gap between sentences); whole: the finished reply at once.
   */
  replySpeech: 'streamed' | 'whole';
}

/** The operator as a cascade of three providers: STT of the phrase, the model's reply, TTS of its pieces. */
export class CascadeVoiceOperator implements VoiceOperator {
  readonly name: string;
  readonly capabilities = { speechToSpeech: false, streamingInput: false } as const;

  constructor(private readonly options: CascadeVoiceOperatorOptions) {
    this.name = `cascade(${options.stt.provider}:${options.stt.model} -> ${options.replyModel.provider}:${options.replyModel.model} -> ${options.tts.provider}:${options.tts.model})`;
  }

  openSession(call: SpeechCall): VoiceOperatorSession {
    const { stt, replyModel, tts, replySpeech } = this.options;
    const speech = tts.openSession(call);
    const voice = (text: string, isGoodbye: boolean, signal: AbortSignal | undefined): SpokenPiece => ({
      text,
      isGoodbye,
      ...speech.speak(text, signal ? { signal } : {}),
    });
    return {
      transcribe: (phrase: PhraseAudio, options: { signal?: AbortSignal } = {}): Promise<PhraseTranscript> =>
        stt.transcribe(phrase, { language: 'ru', ...(options.signal ? { signal: options.signal } : {}) }),
      async *respond(request: ReplyRequest): AsyncIterable<SpokenPiece> {
        const texts: string[] = [];
        let goodbye = false;
        let first = replySpeech === 'streamed';
        for await (const piece of replyModel.streamReply(request)) {
          if (request.signal?.aborted) return; // cut words are not an answer
          goodbye ||= piece.isGoodbye;
          if (piece.text === '') continue;
          if (first) {
            first = false;
            yield voice(piece.text, false, request.signal);
            continue;
          }
          texts.push(piece.text);
        }
        if (request.signal?.aborted) return;
        if (texts.length > 0) yield voice(texts.join(' '), goodbye, request.signal);
        else if (goodbye) yield { text: '', isGoodbye: true, audio: emptyAudio(), sampleRate: tts.capabilities.sampleRate, spokenText: Promise.resolve('') };
      },
      speak: (text, options = {}) => voice(text, false, options.signal),
      close: () => speech.close(),
    };
  }
}

async function* emptyAudio(): AsyncIterable<Int16Array> {}
