import type OpenAI from 'openai';
import type { RealtimeAudioFormats } from 'openai/resources/realtime/realtime';
import type { DialogTurn } from '../../../domain/call-session';
import type { Logger } from '../../../logging/logger';
import { INTERRUPTED_MARK } from '../../../openai/operator-reply';
import { splitGoodbyeMarker } from '../../../openai/system-prompt';
import { isSpeechProviderError, SpeechProviderError } from '../../provider-error';
import type { ReplyRequest } from '../../reply-model';
import type { SpeechCall } from '../../speech-call';
import type { PhraseAudio, PhraseTranscript, SpeechToText } from '../../speech-to-text';
import { normalizedWords } from '../../text-to-speech';
import type { CalleeAudioSink, SpokenPiece, VoiceOperator, VoiceOperatorSession } from '../../voice-operator';
import { OPENAI } from '../openai-errors';
import { realtimeFormatFor, REALTIME_PCM_RATE, sampleRateOf } from './realtime-audio';
import { RealtimeConnection } from './realtime-connection';
import { abortable, ResponseQueue, streamResponse, type ResponseOutcome } from './realtime-response';
import { RealtimeInput } from './realtime-speech-to-text';
import { RealtimeSessionHolder } from './realtime-session-holder';
import { READ_ALOUD_INSTRUCTIONS } from './realtime-text-to-speech';

/** Added to the operator's system prompt: it speaks, so service marks become words. */
export const VOICE_MODE_INSTRUCTIONS = [
  'Ты разговариваешь голосом, по телефону: отвечай коротко, одной-двумя фразами, естественной разговорной речью.',
  'Служебные метки вслух не произноси: вместо метки [END] закончи прощальную реплику словами «До свидания».',
].join('\n');

export interface OpenAIRealtimeVoiceOperatorOptions {
  client: OpenAI;
  /** e.g. gpt-realtime-2.1-mini. */
  model: string;
  voice: string;
  /** The operator's system prompt (the spec's), as for the cascade's reply model. */
  systemPrompt: string;
  /** The callee's words for the transcript: the session's input transcription model. */
  transcriptionModel: string;
  /** Time limit to open a session, and from a request to the first audio. */
  timeoutMs: number;
  /** How long a phrase waits for its input transcription before the fallback recognition. */
  streamTimeoutMs?: number;
  /** Recognition of a whole phrase when the session cannot give its words (dropped, or too slow). */
  fallbackStt: SpeechToText;
  tlsCa?: string;
  logger?: Logger;
}

const DEFAULT_STREAM_TIMEOUT_MS = 2500;

/**
 * DIALOG_MODE=realtime: a Realtime API speech-to-speech model is the operator. One session per
 * call hears the callee's audio as it arrives and answers in audio with its transcript. Our VAD
 * still owns turn-taking (commits, no server VAD) and barge-in (`response.cancel`, the unheard
 * rest truncated); the workflow still owns the limits (a closing instruction for the last answer).
 * The callee's words for the transcript come from the session's input transcription.
 */
export class OpenAIRealtimeVoiceOperator implements VoiceOperator {
  readonly name: string;
  readonly capabilities = { speechToSpeech: true, streamingInput: true } as const;

  constructor(private readonly options: OpenAIRealtimeVoiceOperatorOptions) {
    this.name = `realtime(${OPENAI}:${options.model}, callee words by ${options.transcriptionModel}; ${options.fallbackStt.model} after a failure)`;
  }

  openSession(call: SpeechCall): VoiceOperatorSession {
    return new RealtimeOperatorSession(this.options, call);
  }
}

class RealtimeOperatorSession implements VoiceOperatorSession {
  private readonly format: RealtimeAudioFormats;
  private readonly holder: RealtimeSessionHolder;
  private readonly input: RealtimeInput;
  private readonly responses = new ResponseQueue();
  private readonly instructions: string;
  /** The session's conversation lacks the dialog so far (it was opened again after a drop). */
  private needsHistory = false;
  /** Items this session's conversation holds (heard phrases, fixed lines, answers). */
  private conversationItems = 0;
  /** The operator's lines in this session's conversation, in order (normalised words). */
  private assistantLines: string[] = [];
  /** The callee's phrases this session's conversation holds (as audio or as text). */
  private userItems = 0;
  readonly listen: CalleeAudioSink;

  constructor(
    private readonly options: OpenAIRealtimeVoiceOperatorOptions,
    private readonly call: SpeechCall,
  ) {
    // G.711 lines both ways as they are (audio/pcmu, audio/pcma): nothing is resampled.
    this.format = realtimeFormatFor(call.line);
    this.instructions = `${options.systemPrompt}\n\n${VOICE_MODE_INSTRUCTIONS}`;
    this.holder = new RealtimeSessionHolder('LLM', (signal) =>
      RealtimeConnection.open({
        client: options.client,
        target: { model: options.model },
        stage: 'LLM',
        timeoutMs: options.timeoutMs,
        signal,
        ...(options.tlsCa ? { tlsCa: options.tlsCa } : {}),
        ...(options.logger ? { logger: options.logger } : {}),
        session: {
          type: 'realtime',
          output_modalities: ['audio'],
          instructions: this.instructions,
          audio: {
            input: { format: this.format, transcription: { model: options.transcriptionModel, languages: ['ru'] }, turn_detection: null },
            output: { format: this.format, voice: options.voice },
          },
        },
      }),
    );
    this.holder.onOpened((_connection, reopened) => {
      if (!reopened) return;
      this.needsHistory = true;
      this.conversationItems = 0;
      this.assistantLines = [];
      this.userItems = 0;
      options.logger?.warn({ call_id: call.callId }, 'realtime operator session opened again after a drop: the dialog so far is sent to it as text');
    });
    this.input = new RealtimeInput(this.holder, this.format, call.line?.sampleRate ?? REALTIME_PCM_RATE, options.streamTimeoutMs ?? DEFAULT_STREAM_TIMEOUT_MS, true);
    this.listen = {
      append: (frame) => this.input.append(frame),
      discard: () => this.input.discard(),
      commit: () => {
        this.conversationItems += 1;
        this.userItems += 1;
        return this.input.commit();
      },
      recommit: (frames, replacing) => {
        this.userItems += 1 - replacing.length;
        return this.input.recommit(frames, replacing);
      },
    };
    // Opened at the answer: the greeting and the first phrase do not wait for the handshake.
    this.holder.connect().catch(() => undefined);
  }

  async transcribe(phrase: PhraseAudio, options: { signal?: AbortSignal } = {}): Promise<PhraseTranscript> {
    const { signal } = options;
    if (phrase.streamPieces && phrase.streamPieces.length > 0) {
      try {
        return { ...(await this.input.transcript(phrase.streamPieces, signal ? { signal } : {})), recognisedBy: 'stream' };
      } catch (err) {
        if (signal?.aborted) throw err;
        this.options.logger?.warn(
          { call_id: this.call.callId, ...(isSpeechProviderError(err) ? err.describe() : { err_message: String(err) }) },
          'realtime input transcription failed: FALLBACK to transcribing the phrase as a file',
        );
      }
    }
    // The model did not hear this phrase (its session dropped): it gets the words as text instead.
    const heard = phrase.streamPieces !== undefined && this.input.heard(phrase.streamPieces);
    if (!heard) this.needsHistory = true;
    const transcript = await this.options.fallbackStt.transcribe(phrase, { language: 'ru', ...(signal ? { signal } : {}) });
    return { ...transcript, recognisedBy: phrase.streamPieces ? 'phrase_after_stream_failure' : 'phrase' };
  }

  async *respond(request: ReplyRequest): AsyncIterable<SpokenPiece> {
    const { signal } = request;
    if (signal?.aborted) return;
    let settleWords: (words: { text: string; isGoodbye: boolean }) => void = () => undefined;
    const wordsWhenSpoken = new Promise<{ text: string; isGoodbye: boolean }>((resolve) => (settleWords = resolve));
    let settleSpoken: (text: string) => void = () => undefined;
    const spokenText = new Promise<string>((resolve) => (settleSpoken = resolve));
    // The words are settled once both the answer is over and its playback is: a cut answer keeps only what was heard.
    let outcome: ResponseOutcome | null = null;
    let played: { ms: number; interrupted: boolean } | null = null;
    const settle = () => {
      if (!outcome || !played) return;
      const words = splitGoodbyeMarker((outcome.transcript ?? '').split(INTERRUPTED_MARK.trim()).join(''));
      const heard = played.interrupted ? heardPart(words.text, played.ms, outcome.audioMs) : words.text;
      if (heard !== '') this.assistantLines.push(normalizedWords(heard));
      settleWords({ text: heard, isGoodbye: words.isGoodbye && !played.interrupted });
      settleSpoken(heard);
    };
    const audio = this.answer(request, (over) => {
      outcome = over;
      settle();
    });
    // The first audio decides whether there is an answer at all: a failure before it is the turn's failure.
    const first = await audio.next();
    if (first.done) {
      settleWords({ text: '', isGoodbye: false });
      settleSpoken('');
      return;
    }
    const head = first.value;
    async function* whole(): AsyncGenerator<Int16Array> {
      yield head;
      yield* audio;
    }
    yield {
      text: '',
      isGoodbye: false,
      audio: whole(),
      sampleRate: sampleRateOf(this.format),
      spokenText,
      wordsWhenSpoken,
      onPlayed: (ms, interrupted) => {
        played = { ms, interrupted };
        const itemId = (outcome as ResponseOutcome | null)?.itemId;
        // Cut short (barge-in, hang-up): the model's memory keeps only what the callee heard.
        if (interrupted && itemId) {
          const audioMs = (outcome as ResponseOutcome | null)?.audioMs ?? ms;
          this.holder.current?.send({ type: 'conversation.item.truncate', item_id: itemId, content_index: 0, audio_end_ms: Math.max(0, Math.min(Math.round(ms), Math.floor(audioMs))) });
        }
        settle();
      },
    };
  }

  speak(text: string, options: { signal?: AbortSignal } = {}): SpokenPiece {
    let settle: (said: string) => void = () => undefined;
    const spokenText = new Promise<string>((resolve) => (settle = resolve));
    const line = text.trim();
    return { text: line, isGoodbye: false, audio: this.fixedLine(line, options.signal, settle), sampleRate: sampleRateOf(this.format), spokenText };
  }

  /** A fixed line, read out of band (it enters the conversation through `remember` once it was played). */
  private async *fixedLine(line: string, signal: AbortSignal | undefined, settle: (said: string) => void): AsyncGenerator<Int16Array> {
    let said = '';
    try {
      if (line === '') throw new SpeechProviderError({ kind: 'bad_request', stage: 'TTS', provider: OPENAI, message: 'TTS failed (bad_request): the line is empty', retryable: false });
      const outcome = yield* this.responses.run('TTS', signal, (onOver) => this.readAloud(line, signal, onOver));
      said = outcome.transcript ?? line;
    } finally {
      settle(said);
    }
  }

  /** The model hears that the operator said a fixed line (the greeting, a re-prompt, the fallback phrase). */
  remember(line: string): void {
    const text = line.trim();
    if (text === '') return;
    const connection = this.holder.current;
    if (!connection) return;
    connection.send({ type: 'conversation.item.create', item: { type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] } });
    this.conversationItems += 1;
    this.assistantLines.push(normalizedWords(text));
  }

  async close(): Promise<void> {
    this.input.close();
    this.holder.close();
    await Promise.resolve();
  }

  /** One answer in the conversation: audio as it arrives; the outcome (its transcript) once it is over. */
  private async *answer(request: ReplyRequest, onOutcome: (outcome: ResponseOutcome) => void): AsyncGenerator<Int16Array, void> {
    let reported = false;
    const report = (outcome: ResponseOutcome) => {
      if (reported) return;
      reported = true;
      onOutcome(outcome);
    };
    try {
      yield* this.responses.run('LLM', request.signal, (onOver) => this.answerOnce(request, onOver, report));
    } finally {
      report({ transcript: null, itemId: null, completed: false, audioMs: 0 });
    }
  }

  private async *answerOnce(request: ReplyRequest, onOver: (settled: Promise<void>) => void, onOutcome: (outcome: ResponseOutcome) => void): AsyncGenerator<Int16Array, ResponseOutcome> {
    const { signal } = request;
    // The dialog the workflow asks about is not the one this session holds (its operator lines differ):
    // a new session, given the dialog as text.
    const lines = request.history.filter((turn) => turn.speaker === 'assistant').map((turn) => normalizedWords(turn.text));
    const callee = request.history.filter((turn) => turn.speaker === 'user').length;
    const differs = lines.length !== this.assistantLines.length || lines.some((line, i) => line !== this.assistantLines[i]) || callee > this.userItems;
    if (this.conversationItems > 0 && differs) {
      this.options.logger?.info({ call_id: this.call.callId }, 'realtime operator: the dialog differs from the session\'s conversation; starting it again from the transcript');
      this.holder.restart();
    }
    const connection = await (signal ? abortable(this.holder.connect(), signal, 'LLM') : this.holder.connect());
    // A session that holds nothing of this dialog (opened again after a drop, or asked to answer a dialog it did not hear) gets it as text.
    if (this.needsHistory || this.conversationItems === 0) this.sendHistory(connection, request.history);
    this.conversationItems += 1;
    return yield* streamResponse(connection, {
      stage: 'LLM',
      format: this.format,
      timeoutMs: this.options.timeoutMs,
      signal,
      onOver,
      // At a limit the workflow's closing instruction joins the operator's instructions for this answer.
      response: request.closingInstruction ? { instructions: `${this.instructions}\n\n${request.closingInstruction}` } : {},
      onOutcome,
    });
  }

  /** Out of band: a fixed line read aloud, not an answer. */
  private async *readAloud(text: string, signal: AbortSignal | undefined, onOver: (settled: Promise<void>) => void): AsyncGenerator<Int16Array, ResponseOutcome> {
    const connection = await (signal ? abortable(this.holder.connect(), signal, 'TTS') : this.holder.connect());
    return yield* streamResponse(connection, {
      stage: 'TTS',
      format: this.format,
      timeoutMs: this.options.timeoutMs,
      signal,
      onOver,
      response: {
        conversation: 'none',
        output_modalities: ['audio'],
        instructions: READ_ALOUD_INSTRUCTIONS,
        input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text }] }],
      },
    });
  }

  /** A new session after a drop: the dialog so far goes in as text, so the model answers in context. */
  private sendHistory(connection: RealtimeConnection, history: readonly DialogTurn[]): void {
    this.needsHistory = false;
    this.conversationItems += history.length;
    this.assistantLines = history.filter((turn) => turn.speaker === 'assistant' && turn.text.trim() !== '').map((turn) => normalizedWords(turn.text));
    this.userItems = history.filter((turn) => turn.speaker === 'user' && turn.text.trim() !== '').length;
    for (const turn of history) {
      const text = turn.text.trim();
      if (text === '') continue;
      connection.send({
        type: 'conversation.item.create',
        item:
          turn.speaker === 'user'
            ? { type: 'message', role: 'user', content: [{ type: 'input_text', text }] }
            : { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: turn.interrupted ? `${text}${INTERRUPTED_MARK}` : text }] },
      });
    }
  }
}

/** The words of `text` the callee heard when `playedMs` of `audioMs` was played (proportionally, at least none). */
export function heardPart(text: string, playedMs: number, audioMs: number): string {
  const words = text.split(/\s+/).filter((word) => word !== '');
  if (audioMs <= 0 || playedMs <= 0) return '';
  return words.slice(0, Math.min(words.length, Math.round((words.length * playedMs) / audioMs))).join(' ');
}
