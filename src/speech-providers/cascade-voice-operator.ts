import type { Logger } from '../logging/logger';
import { isSpeechProviderError } from './provider-error';
import type { ReplyModel, ReplyRequest } from './reply-model';
import type { SpeechCall } from './speech-call';
import type { PhraseAudio, PhraseTranscript, SpeechToText } from './speech-to-text';
import type { TextToSpeech } from './text-to-speech';
import type { SpokenPiece, VoiceOperator, VoiceOperatorSession } from './voice-operator';

export interface CascadeVoiceOperatorOptions {
  /** Recognition of a finished phrase (and the fallback when the streaming recognition fails). */
  stt: SpeechToText;
  /** Recognition while the callee talks (a realtime transcription session per call); unset: phrases only. */
  streamingStt?: SpeechToText;
  logger?: Logger;
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
  readonly capabilities: { speechToSpeech: false; streamingInput: boolean };

  constructor(private readonly options: CascadeVoiceOperatorOptions) {
    const streaming = options.streamingStt?.openStream ? options.streamingStt : null;
    const recognition = streaming ? `${streaming.provider}:${streaming.model} (streamed; ${options.stt.model} after a failure)` : `${options.stt.provider}:${options.stt.model}`;
    this.name = `cascade(${recognition} -> ${options.replyModel.provider}:${options.replyModel.model} -> ${options.tts.provider}:${options.tts.model})`;
    this.capabilities = { speechToSpeech: false, streamingInput: streaming !== null };
  }

  openSession(call: SpeechCall): VoiceOperatorSession {
    const { stt, replyModel, tts, replySpeech, logger } = this.options;
    const speech = tts.openSession(call);
    const stream = this.options.streamingStt?.openStream?.(call) ?? null;
    const transcribe = async (phrase: PhraseAudio, signal: AbortSignal | undefined): Promise<PhraseTranscript> => {
      if (stream && phrase.streamPieces && phrase.streamPieces.length > 0) {
        try {
          return { ...(await stream.transcript(phrase.streamPieces, signal ? { signal } : {})), recognisedBy: 'stream' };
        } catch (err) {
          if (signal?.aborted) throw err;
          // The same phrase, whole, through the phrase endpoint: the call goes on.
          logger?.warn(
            { call_id: call.callId, ...(isSpeechProviderError(err) ? err.describe() : { err_message: String(err) }) },
            'streaming recognition failed: FALLBACK to transcribing the phrase as a file',
          );
          const transcript = await stt.transcribe(phrase, { language: 'ru', ...(signal ? { signal } : {}) });
          return { ...transcript, recognisedBy: 'phrase_after_stream_failure' };
        }
      }
      return { ...(await stt.transcribe(phrase, { language: 'ru', ...(signal ? { signal } : {}) })), recognisedBy: 'phrase' };
    };
    const voice = (text: string, isGoodbye: boolean, signal: AbortSignal | undefined): SpokenPiece => ({
      text,
      isGoodbye,
      ...speech.speak(text, signal ? { signal } : {}),
    });
    return {
      ...(stream
        ? {
            listen: {
              append: (frame: Uint8Array) => stream.append(frame),
              discard: () => stream.discard(),
              commit: () => stream.commit(),
              recommit: (frames: readonly Uint8Array[], replacing: readonly string[]) => stream.recommit(frames, replacing),
            },
          }
        : {}),
      transcribe: (phrase: PhraseAudio, options: { signal?: AbortSignal } = {}) => transcribe(phrase, options.signal),
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
      close: async () => {
        await Promise.all([speech.close(), stream?.close()]);
      },
    };
  }
}

async function* emptyAudio(): AsyncIterable<Int16Array> {}
