import { setImmediate as nextTurn } from 'node:timers/promises';
import { WebSocket, type RawData } from 'ws';
import type { Logger } from '../../../logging/logger';
import { concatPcm } from '../../../audio/pcm';
import { emulateCompletion, estimateTokens } from '../completion';
import type { ChatMessage } from '../request-schema';
import type { PhraseRecognizer } from '../speech/recognizer';
import { resampleLinear } from '../speech/resample';
import {
  audioMs,
  chunkBytes,
  decodeAudio,
  DEFAULT_AUDIO_FORMAT,
  REALTIME_PCM_RATE,
  sampleRateOf,
  encodeAudio,
  type RealtimeAudioFormat,
} from './audio-format';
import {
  parseClientEvent,
  type AudioFormatParam,
  type ClientEvent,
  type ClientEventOf,
  type ItemReferenceParam,
  type MessageItemParam,
  type ResponseParams,
  type TranscriptionConfig,
} from './client-events';
import { misread, type RealtimeFaults } from './faults';
import { synthesize, wordsOf } from './speech-output';

/**
 * ONE CONNECTION of the emulated OpenAI Realtime API (GA protocol): the session configuration, the
 * input audio buffer, the conversation, and at most one response in progress. Not OpenAI: input
 * audio is "understood" only by the phrase-bank matcher, answers come from the emulator's chat
 * rules (or the text it was asked to read aloud), and the voice is espeak-ng.
 */

export interface RealtimeLatency {
  /** input_audio_buffer.commit -> transcription completed. */
  transcriptMs: number;
  /** response.create -> first audio delta (speech synthesis counted in). */
  firstAudioMs: number;
  /** Audio pace as a multiple of real time; 0 sends it as fast as possible. */
  ttsPacing: number;
}

export interface RealtimeSessionDeps {
  id: string;
  kind: 'realtime' | 'transcription';
  /** `?model=` of the connection; null for a transcription intent. */
  model: string | null;
  socket: WebSocket;
  logger?: Logger;
  latency: RealtimeLatency;
  recognizer(): Promise<PhraseRecognizer>;
  nextId(prefix: string): string;
  faults: RealtimeFaults;
  record(direction: 'client' | 'server', type: string): void;
  onClosed(): void;
}

/** Audio per output delta. */
const CHUNK_MS = 40;
/** The real API refuses to commit less than this. */
const MIN_COMMIT_MS = 100;
const SESSION_LIFETIME_S = 30 * 60;
const DEFAULT_VOICE = 'marin';
const DROPPABLE: ReadonlySet<string> = new Set(['input_audio_buffer.commit', 'response.create', 'session.update', 'input_audio_buffer.append']);

interface SessionConfig {
  instructions: string;
  outputModalities: ('text' | 'audio')[];
  inputFormat: RealtimeAudioFormat;
  outputFormat: RealtimeAudioFormat;
  voice: string;
  speed: number;
  transcription: TranscriptionConfig | null;
  maxOutputTokens: number | 'inf';
}

/** Assistant speech kept for truncation: every word the response was to say and the audio's length. */
interface SpeechRecord {
  words: string[];
  spokenWords: number;
  totalMs: number;
  sentMs: number;
}

type StoredPart =
  | { type: 'input_text'; text: string }
  | { type: 'input_audio'; transcript: string | null; recognition?: Promise<string> }
  | { type: 'output_text'; text: string }
  | { type: 'output_audio'; transcript: string; speech?: SpeechRecord };

interface StoredItem {
  id: string;
  role: 'system' | 'user' | 'assistant';
  status: 'completed' | 'incomplete' | 'in_progress';
  content: StoredPart[];
}

interface ActiveResponse {
  id: string;
  startedAt: number;
  abort: AbortController;
  done: boolean;
  outOfBand: boolean;
  modalities: ('text' | 'audio')[];
  format: RealtimeAudioFormat;
  voice: string;
  maxOutputTokens: number | 'inf';
  metadata: Record<string, string> | null;
  item: StoredItem | null;
  usage: { input: number; outputText: number; outputAudio: number };
}

type ServerEvent = { type: string } & Record<string, unknown>;

interface ErrorDetails {
  code: string | null;
  message: string;
  param?: string | null;
  type?: 'invalid_request_error' | 'server_error';
}

const normalizeFormat = (format: AudioFormatParam): RealtimeAudioFormat =>
  format.type === 'audio/pcm' ? { type: 'audio/pcm', rate: REALTIME_PCM_RATE } : { type: format.type };

const voiceName = (voice: string | { id: string }) => (typeof voice === 'string' ? voice : voice.id);

export class RealtimeSession {
  readonly id: string;
  private readonly config: SessionConfig;
  private readonly items: StoredItem[] = [];
  private buffer: { rate: number; samples: Int16Array }[] = [];
  /** An odd byte of PCM16 left over from the last append (a sample split across two events). */
  private pcmCarry: Buffer | null = null;
  private active: ActiveResponse | null = null;
  private audioProduced = false;
  private closed = false;
  private readonly waits = new Set<(ok: boolean) => void>();
  private readonly createdAt = Math.floor(Date.now() / 1000);
  private readonly conversationId: string;

  constructor(private readonly deps: RealtimeSessionDeps) {
    this.id = deps.id;
    this.conversationId = deps.nextId('conv');
    this.config = {
      instructions: '',
      outputModalities: ['audio'],
      inputFormat: DEFAULT_AUDIO_FORMAT,
      outputFormat: DEFAULT_AUDIO_FORMAT,
      voice: DEFAULT_VOICE,
      speed: 1,
      transcription: null,
      maxOutputTokens: 'inf',
    };
  }

  /** Greets the client and starts reading its events. */
  start(): void {
    const { socket } = this.deps;
    socket.on('message', (data: RawData, isBinary: boolean) => {
      try {
        this.onFrame(isBinary ? null : rawText(data));
      } catch (err) {
        this.deps.logger?.error({ err, session: this.id }, 'openai emulator realtime: event handler failed');
        this.sendError({ code: null, message: 'The emulator failed while handling the event.', type: 'server_error' }, null);
      }
    });
    socket.on('close', () => this.dispose());
    socket.on('error', (err) => this.deps.logger?.debug({ err, session: this.id }, 'openai emulator realtime: socket error'));
    this.send({ type: 'session.created', session: this.sessionObject() });
  }

  /** Ends the connection abruptly (emulator shutdown or a drop fault). */
  terminate(): void {
    this.deps.socket.terminate();
    this.dispose();
  }

  private dispose(): void {
    if (this.closed) return;
    this.closed = true;
    this.active?.abort.abort();
    this.active = null;
    for (const finish of [...this.waits]) finish(false);
    this.deps.onClosed();
  }

  // ---- events in ----

  private onFrame(text: string | null): void {
    if (text === null) {
      this.deps.record('client', '<binary>');
      this.sendError({ code: 'invalid_value', message: 'Binary frames are not supported: send JSON text events (emulator).' }, null);
      return;
    }
    const parsed = parseClientEvent(text);
    if (!parsed.ok) {
      const { problem } = parsed;
      this.deps.record('client', problem.type ?? '<invalid>');
      this.sendError({ code: problem.code, message: problem.message, param: problem.param }, problem.eventId);
      return;
    }
    const event = parsed.event;
    this.deps.record('client', event.type);
    const eventId = event.event_id ?? null;

    if (DROPPABLE.has(event.type) && this.deps.faults.take('drop', (f) => f.on === event.type)) {
      this.deps.logger?.info({ session: this.id, on: event.type }, 'openai emulator realtime: injected fault, dropping the connection');
      this.terminate();
      return;
    }
    const errorFault = this.deps.faults.take('error', (f) => f.on === event.type);
    if (errorFault) {
      this.deps.logger?.info({ session: this.id, on: event.type }, 'openai emulator realtime: injected fault, error event');
      this.sendError(
        { type: 'server_error', code: errorFault.code ?? 'server_error', message: errorFault.message ?? 'The server had an error while processing your event (emulated fault).' },
        eventId,
      );
      return;
    }
    this.dispatch(event, eventId);
  }

  private dispatch(event: ClientEvent, eventId: string | null): void {
    switch (event.type) {
      case 'session.update':
        return this.updateSession(event, eventId);
      case 'input_audio_buffer.append':
        return this.append(event);
      case 'input_audio_buffer.clear':
        this.buffer = [];
        this.pcmCarry = null;
        this.send({ type: 'input_audio_buffer.cleared' });
        return;
      case 'input_audio_buffer.commit':
        return this.commit(eventId);
      case 'conversation.item.create':
        return this.createItem(event, eventId);
      case 'conversation.item.retrieve':
        return this.retrieveItem(event, eventId);
      case 'conversation.item.delete':
        return this.deleteItem(event, eventId);
      case 'conversation.item.truncate':
        return this.truncate(event, eventId);
      case 'response.create':
        return this.createResponse(event, eventId);
      case 'response.cancel':
        return this.cancelResponse(event, eventId);
    }
  }

  // ---- session ----

  private updateSession({ session }: ClientEventOf<'session.update'>, eventId: string | null): void {
    if (session.type !== this.deps.kind) {
      this.sendError({ code: 'invalid_value', param: 'session.type', message: `Cannot change the session type from '${this.deps.kind}' to '${session.type}'.` }, eventId);
      return;
    }
    const input = session.audio?.input;
    if (session.type === 'realtime') {
      const voice = session.audio?.output?.voice;
      if (voice !== undefined && voiceName(voice) !== this.config.voice && this.audioProduced) {
        this.sendError({ code: 'cannot_update_voice', param: 'session.audio.output.voice', message: 'Cannot update a conversation\'s voice if assistant audio is present.' }, eventId);
        return;
      }
      if (session.instructions !== undefined) this.config.instructions = session.instructions;
      if (session.output_modalities) this.config.outputModalities = [...session.output_modalities];
      if (session.audio?.output?.format) this.config.outputFormat = normalizeFormat(session.audio.output.format);
      if (voice !== undefined) this.config.voice = voiceName(voice);
      if (session.audio?.output?.speed !== undefined) this.config.speed = session.audio.output.speed;
      if (session.max_output_tokens !== undefined) this.config.maxOutputTokens = session.max_output_tokens;
    }
    if (input?.format) this.config.inputFormat = normalizeFormat(input.format);
    if (input?.transcription !== undefined) this.config.transcription = input.transcription;
    this.send({ type: 'session.updated', session: this.sessionObject() });
  }

  private sessionObject(): Record<string, unknown> {
    const input = {
      format: this.config.inputFormat,
      transcription: this.config.transcription,
      noise_reduction: null,
      turn_detection: null,
    };
    const common = { id: this.id, expires_at: this.createdAt + SESSION_LIFETIME_S, include: null };
    if (this.deps.kind === 'transcription') {
      return { type: 'transcription', object: 'realtime.transcription_session', ...common, audio: { input } };
    }
    return {
      type: 'realtime',
      object: 'realtime.session',
      ...common,
      model: this.deps.model,
      output_modalities: this.config.outputModalities,
      instructions: this.config.instructions,
      tools: [],
      tool_choice: 'auto',
      max_output_tokens: this.config.maxOutputTokens,
      tracing: null,
      truncation: 'auto',
      prompt: null,
      audio: { input, output: { format: this.config.outputFormat, voice: this.config.voice, speed: this.config.speed } },
    };
  }

  // ---- input audio ----

  private append({ audio }: ClientEventOf<'input_audio_buffer.append'>): void {
    const format = this.config.inputFormat;
    let bytes = Buffer.from(audio, 'base64');
    if (format.type === 'audio/pcm') {
      if (this.pcmCarry) bytes = Buffer.concat([this.pcmCarry, bytes]);
      this.pcmCarry = bytes.length % 2 === 1 ? bytes.subarray(bytes.length - 1) : null;
    }
    const samples = decodeAudio(bytes, format);
    if (samples.length > 0) this.buffer.push({ rate: sampleRateOf(format), samples });
  }

  /** The buffered audio as one clip (at the input rate; earlier audio in another format is resampled). */
  private bufferedAudio(): { sampleRate: number; samples: Int16Array } {
    const rate = sampleRateOf(this.config.inputFormat);
    const parts = this.buffer.map((chunk) => (chunk.rate === rate ? chunk.samples : resampleLinear(chunk.samples, chunk.rate, rate)));
    return { sampleRate: rate, samples: concatPcm(parts) };
  }

  private commit(eventId: string | null): void {
    const audio = this.bufferedAudio();
    const ms = (audio.samples.length * 1000) / audio.sampleRate;
    if (ms < MIN_COMMIT_MS) {
      this.sendError(
        {
          code: 'input_audio_buffer_commit_empty',
          message: `Error committing input audio buffer: buffer too small. Expected at least ${MIN_COMMIT_MS}ms of audio, but buffer only has ${ms.toFixed(2)}ms of audio.`,
        },
        eventId,
      );
      return;
    }
    if (this.deps.kind === 'transcription' && !this.config.transcription) {
      this.sendError(
        { code: 'missing_required_parameter', param: 'session.audio.input.transcription.model', message: 'A transcription session needs session.audio.input.transcription.model before audio can be committed.' },
        eventId,
      );
      return;
    }
    const committedAt = performance.now();
    const part: StoredPart & { type: 'input_audio' } = { type: 'input_audio', transcript: null };
    const item: StoredItem = { id: this.deps.nextId('item'), role: 'user', status: 'completed', content: [part] };
    const previous = this.lastItemId();
    this.items.push(item);
    this.buffer = [];
    this.pcmCarry = null;
    this.send({ type: 'input_audio_buffer.committed', item_id: item.id, previous_item_id: previous });
    this.announceItem(item, previous);
    if (this.config.transcription) this.transcribe(item, 0, part, audio, committedAt);
  }

  /** Recognises the audio with the phrase-bank matcher; the transcript events go out `transcriptMs` after the commit. */
  private transcribe(item: StoredItem, contentIndex: number, part: StoredPart & { type: 'input_audio' }, audio: { sampleRate: number; samples: Int16Array }, since: number): void {
    const recognition = (async () => {
      const matcher = await this.deps.recognizer();
      await nextTurn(); // let the commit's events go out before the CPU-bound matching
      const result = matcher.recognize(audio);
      this.deps.logger?.debug(
        { session: this.id, item: item.id, reason: result.reason, text: result.text, matchMs: Number(result.elapsedMs.toFixed(1)) },
        'openai emulator realtime: input transcription (phrase-bank matcher)',
      );
      return result.text;
    })();
    part.recognition = recognition;
    const seconds = Number((audio.samples.length / audio.sampleRate).toFixed(3));
    recognition.then(
      async (text) => {
        part.transcript = text;
        if (!(await this.sleep(since + this.deps.latency.transcriptMs - performance.now()))) return;
        for (const word of wordsOf(text)) {
          this.send({ type: 'conversation.item.input_audio_transcription.delta', item_id: item.id, content_index: contentIndex, delta: word });
        }
        this.send({
          type: 'conversation.item.input_audio_transcription.completed',
          item_id: item.id,
          content_index: contentIndex,
          transcript: text,
          usage: { type: 'duration', seconds },
        });
      },
      (err: unknown) => {
        this.deps.logger?.error({ err, session: this.id }, 'openai emulator realtime: input transcription failed');
        part.transcript = '';
        this.send({
          type: 'conversation.item.input_audio_transcription.failed',
          item_id: item.id,
          content_index: contentIndex,
          error: { type: 'server_error', code: 'emulator_transcription_failed', message: String(err), param: null },
        });
      },
    );
  }

  // ---- conversation ----

  private lastItemId(): string | null {
    return this.items[this.items.length - 1]?.id ?? null;
  }

  private findItem(id: string): StoredItem | undefined {
    return this.items.find((item) => item.id === id);
  }

  private announceItem(item: StoredItem, previous: string | null): void {
    this.send({ type: 'conversation.item.added', item: wireItem(item), previous_item_id: previous });
    this.send({ type: 'conversation.item.done', item: wireItem(item), previous_item_id: previous });
  }

  private createItem({ item: param, previous_item_id: after }: ClientEventOf<'conversation.item.create'>, eventId: string | null): void {
    if (param.id !== undefined && this.findItem(param.id)) {
      this.sendError({ code: 'item_already_exists', param: 'item.id', message: `Item with id '${param.id}' already exists.` }, eventId);
      return;
    }
    let index = this.items.length;
    if (after === 'root') index = 0;
    else if (after !== undefined) {
      const found = this.items.findIndex((item) => item.id === after);
      if (found < 0) {
        this.sendError({ code: 'item_not_found', param: 'previous_item_id', message: `Previous item with id '${after}' not found.` }, eventId);
        return;
      }
      index = found + 1;
    }
    const item: StoredItem = { id: param.id ?? this.deps.nextId('item'), role: param.role, status: 'completed', content: [] };
    const audioParts: { index: number; part: StoredPart & { type: 'input_audio' }; audio: { sampleRate: number; samples: Int16Array } }[] = [];
    param.content.forEach((content, contentIndex) => {
      if (content.type === 'input_audio') {
        const part: StoredPart & { type: 'input_audio' } = { type: 'input_audio', transcript: content.transcript ?? null };
        item.content.push(part);
        if (content.audio !== undefined && part.transcript === null) {
          const format = this.config.inputFormat;
          audioParts.push({ index: contentIndex, part, audio: { sampleRate: sampleRateOf(format), samples: decodeAudio(Buffer.from(content.audio, 'base64'), format) } });
        }
      } else if (content.type === 'output_audio') item.content.push({ type: 'output_audio', transcript: content.transcript ?? '' });
      else item.content.push(content);
    });
    const previous = index === 0 ? null : (this.items[index - 1]?.id ?? null);
    this.items.splice(index, 0, item);
    this.announceItem(item, previous);
    if (this.config.transcription) for (const { index: i, part, audio } of audioParts) this.transcribe(item, i, part, audio, performance.now());
  }

  private retrieveItem({ item_id }: ClientEventOf<'conversation.item.retrieve'>, eventId: string | null): void {
    const item = this.findItem(item_id);
    if (!item) return this.itemNotFound(item_id, eventId);
    this.send({ type: 'conversation.item.retrieved', item: wireItem(item) });
  }

  private deleteItem({ item_id }: ClientEventOf<'conversation.item.delete'>, eventId: string | null): void {
    const index = this.items.findIndex((item) => item.id === item_id);
    if (index < 0) return this.itemNotFound(item_id, eventId);
    if (this.active?.item?.id === item_id) {
      this.sendError({ code: 'invalid_value', param: 'item_id', message: 'Cannot delete an item while its response is in progress: cancel the response first (emulator).' }, eventId);
      return;
    }
    this.items.splice(index, 1);
    this.send({ type: 'conversation.item.deleted', item_id });
  }

  private itemNotFound(itemId: string, eventId: string | null): void {
    this.sendError({ code: 'item_not_found', param: 'item_id', message: `Item with item_id '${itemId}' not found.` }, eventId);
  }

  /** Keeps the share of the transcript that the heard share of the audio carried (by words). */
  private truncate({ item_id, content_index, audio_end_ms }: ClientEventOf<'conversation.item.truncate'>, eventId: string | null): void {
    const item = this.findItem(item_id);
    if (!item) return this.itemNotFound(item_id, eventId);
    if (item.role !== 'assistant') {
      this.sendError({ code: 'invalid_value', param: 'item_id', message: 'Only assistant message items can be truncated.' }, eventId);
      return;
    }
    if (this.active?.item?.id === item_id) {
      this.sendError({ code: 'invalid_value', param: 'item_id', message: 'Cannot truncate an item while its response is in progress: cancel the response first (emulator).' }, eventId);
      return;
    }
    const part = item.content[content_index];
    if (part?.type !== 'output_audio' || !part.speech) {
      this.sendError({ code: 'invalid_value', param: 'content_index', message: `Content part ${content_index} of item '${item_id}' has no audio.` }, eventId);
      return;
    }
    const speech = part.speech;
    if (audio_end_ms > Math.ceil(speech.sentMs)) {
      this.sendError(
        { code: 'invalid_value', param: 'audio_end_ms', message: `audio_end_ms (${audio_end_ms}) is greater than the audio duration (${Math.ceil(speech.sentMs)}ms).` },
        eventId,
      );
      return;
    }
    const heard = speech.totalMs > 0 ? Math.floor((speech.words.length * audio_end_ms) / speech.totalMs) : 0;
    speech.spokenWords = Math.min(speech.spokenWords, heard);
    speech.sentMs = audio_end_ms;
    part.transcript = speech.words.slice(0, speech.spokenWords).join('').trim();
    this.send({ type: 'conversation.item.truncated', item_id, content_index, audio_end_ms });
  }

  // ---- responses ----

  private createResponse({ response: params = {} }: ClientEventOf<'response.create'>, eventId: string | null): void {
    if (this.deps.kind === 'transcription') {
      this.sendError({ code: 'invalid_value', param: 'type', message: 'response.create is not supported in a transcription session.' }, eventId);
      return;
    }
    if (this.active) {
      this.sendError(
        {
          code: 'conversation_already_has_active_response',
          message: `Conversation already has an active response in progress: ${this.active.id}. Wait until the response is finished before creating a new one.`,
        },
        eventId,
      );
      return;
    }
    const missing = (params.input ?? []).find((entry): entry is ItemReferenceParam => entry.type === 'item_reference' && !this.findItem(entry.id));
    if (missing) {
      this.sendError({ code: 'item_not_found', param: 'response.input', message: `Item with id '${missing.id}' not found.` }, eventId);
      return;
    }
    const output = params.audio?.output;
    const response: ActiveResponse = {
      id: this.deps.nextId('resp'),
      startedAt: performance.now(),
      abort: new AbortController(),
      done: false,
      outOfBand: params.conversation === 'none',
      modalities: [...(params.output_modalities ?? this.config.outputModalities)],
      format: output?.format ? normalizeFormat(output.format) : this.config.outputFormat,
      voice: output?.voice !== undefined ? voiceName(output.voice) : this.config.voice,
      maxOutputTokens: params.max_output_tokens ?? this.config.maxOutputTokens,
      metadata: params.metadata ?? null,
      item: null,
      usage: { input: 0, outputText: 0, outputAudio: 0 },
    };
    this.active = response;
    this.send({ type: 'response.created', response: this.responseObject(response, 'in_progress', null) });
    this.produce(response, params).catch((err: unknown) => {
      this.deps.logger?.error({ err, session: this.id, response: response.id }, 'openai emulator realtime: response failed');
      this.finishResponse(response, 'failed', { type: 'failed', error: { type: 'server_error', code: 'emulator_response_failed', message: String(err) } });
    });
  }

  private cancelResponse({ response_id }: ClientEventOf<'response.cancel'>, eventId: string | null): void {
    const response = this.active;
    if (!response || (response_id !== undefined && response_id !== response.id)) {
      this.sendError({ code: 'response_cancel_not_active', message: 'Cancellation failed: no active response found.' }, eventId);
      return;
    }
    response.abort.abort();
    if (response.item) response.item.status = 'incomplete';
    this.finishResponse(response, 'cancelled', { type: 'cancelled', reason: 'client_cancelled' });
  }

  /** Works out the answer, then streams it as audio (or text) deltas. */
  private async produce(response: ActiveResponse, params: ResponseParams): Promise<void> {
    const readAloud = response.outOfBand ? readAloudText(params.input) : undefined;
    let text: string;
    let truncated = false;
    if (readAloud !== undefined) {
      const fault = this.deps.faults.take('misread');
      text = fault ? misread(readAloud, fault) : readAloud;
      if (fault) this.deps.logger?.info({ session: this.id, response: response.id }, 'openai emulator realtime: injected fault, misreading the text');
      response.usage.input = estimateTokens(readAloud) + estimateTokens(params.instructions ?? '');
    } else {
      const messages = await this.chatMessages(params);
      const completion = emulateCompletion({
        model: this.deps.model ?? 'gpt-realtime',
        messages,
        ...(response.maxOutputTokens !== 'inf' ? { max_completion_tokens: response.maxOutputTokens } : {}),
      });
      text = completion.content;
      truncated = completion.finishReason === 'length';
      response.usage.input = completion.usage.prompt_tokens;
    }
    text = text.trim();
    if (response.done) return;
    this.deps.logger?.debug({ session: this.id, response: response.id, readAloud: readAloud !== undefined, chars: text.length }, 'openai emulator realtime: response');

    const audio = response.modalities.includes('audio');
    const item: StoredItem = { id: this.deps.nextId('item'), role: 'assistant', status: 'in_progress', content: [] };
    response.item = item;
    this.send({ type: 'response.output_item.added', response_id: response.id, output_index: 0, item: wireItem(item) });
    if (!response.outOfBand) {
      const previous = this.lastItemId();
      this.items.push(item);
      this.send({ type: 'conversation.item.added', item: wireItem(item), previous_item_id: previous });
    }
    const where = { response_id: response.id, item_id: item.id, output_index: 0, content_index: 0 };
    const words = wordsOf(text);
    response.usage.outputText = estimateTokens(text);

    if (audio) {
      const part: StoredPart & { type: 'output_audio' } = { type: 'output_audio', transcript: '' };
      item.content.push(part);
      this.send({ type: 'response.content_part.added', ...where, part: { type: 'audio', transcript: '' } });
      const spoken = await synthesize(text, response.voice, this.config.speed);
      if (response.done) return;
      const bytes = encodeAudio(spoken.samples, spoken.sampleRate, response.format);
      const chunk = chunkBytes(CHUNK_MS, response.format);
      const chunks = Math.ceil(bytes.length / chunk);
      const speech: SpeechRecord = { words, spokenWords: 0, totalMs: audioMs(bytes.length, response.format), sentMs: 0 };
      part.speech = speech;
      response.usage.outputAudio = Math.ceil(speech.totalMs / 50);
      const sayWordsUpTo = (count: number) => {
        while (speech.spokenWords < Math.min(count, words.length)) {
          const word = words[speech.spokenWords]!;
          speech.spokenWords += 1;
          part.transcript += word;
          this.send({ type: 'response.output_audio_transcript.delta', ...where, delta: word });
        }
      };
      if (!(await this.sleep(response.startedAt + this.deps.latency.firstAudioMs - performance.now(), response))) return;
      const pacing = this.deps.latency.ttsPacing;
      const streamStart = performance.now();
      for (let index = 0; index < chunks; index += 1) {
        if (index > 0) {
          // Paced, or at least yielding, so a response.cancel can land mid-stream.
          const ok = pacing > 0 ? await this.sleep(streamStart + (index * CHUNK_MS) / pacing - performance.now(), response) : await this.yieldTurn(response);
          if (!ok) return;
        }
        // Each word's transcript goes out with the chunk in which it starts.
        sayWordsUpTo(Math.ceil(((index + 1) * words.length) / chunks));
        const delta = bytes.subarray(index * chunk, (index + 1) * chunk);
        this.send({ type: 'response.output_audio.delta', ...where, delta: delta.toString('base64') });
        speech.sentMs += audioMs(delta.length, response.format);
        this.audioProduced = true;
      }
      sayWordsUpTo(words.length);
      part.transcript = text;
      this.send({ type: 'response.output_audio.done', ...where });
      this.send({ type: 'response.output_audio_transcript.done', ...where, transcript: text });
      this.send({ type: 'response.content_part.done', ...where, part: { type: 'audio', transcript: text } });
    } else {
      const part: StoredPart & { type: 'output_text' } = { type: 'output_text', text: '' };
      item.content.push(part);
      this.send({ type: 'response.content_part.added', ...where, part: { type: 'text', text: '' } });
      if (!(await this.sleep(response.startedAt + this.deps.latency.firstAudioMs - performance.now(), response))) return;
      for (const word of words) {
        if (!(await this.yieldTurn(response))) return;
        part.text += word;
        this.send({ type: 'response.output_text.delta', ...where, delta: word });
      }
      part.text = text;
      this.send({ type: 'response.output_text.done', ...where, text });
      this.send({ type: 'response.content_part.done', ...where, part: { type: 'text', text } });
    }
    item.status = truncated ? 'incomplete' : 'completed';
    this.send({ type: 'response.output_item.done', response_id: response.id, output_index: 0, item: wireItem(item) });
    if (!response.outOfBand) this.send({ type: 'conversation.item.done', item: wireItem(item) });
    this.finishResponse(response, truncated ? 'incomplete' : 'completed', truncated ? { type: 'incomplete', reason: 'max_output_tokens' } : null);
  }

  /**
   * The chat the emulator's rules answer: session instructions as the system prompt, the context
   * (the conversation, or `response.input`), then `response.instructions` as a last system message.
   * User audio counts as what the input transcription recognised in it; without transcription
   * configured it is not understood (an empty user message).
   */
  private async chatMessages(params: ResponseParams): Promise<ChatMessage[]> {
    const context: (StoredItem | MessageItemParam)[] = params.input
      ? params.input.map((entry) => (entry.type === 'item_reference' ? this.findItem(entry.id) : entry)).filter((entry) => entry !== undefined)
      : this.items;
    const messages: ChatMessage[] = [{ role: 'system', content: this.config.instructions }];
    for (const item of context) messages.push({ role: item.role, content: await itemText(item) });
    if (params.instructions) messages.push({ role: 'system', content: params.instructions });
    return messages;
  }

  private finishResponse(response: ActiveResponse, status: 'completed' | 'cancelled' | 'failed' | 'incomplete', details: Record<string, unknown> | null): void {
    if (response.done) return;
    response.done = true;
    if (this.active === response) this.active = null;
    this.send({ type: 'response.done', response: this.responseObject(response, status, details) });
  }

  private responseObject(response: ActiveResponse, status: string, details: Record<string, unknown> | null): Record<string, unknown> {
    const { input, outputText, outputAudio } = response.usage;
    return {
      object: 'realtime.response',
      id: response.id,
      status,
      status_details: details,
      output: response.item ? [wireItem(response.item)] : [],
      conversation_id: response.outOfBand ? null : this.conversationId,
      output_modalities: response.modalities,
      max_output_tokens: response.maxOutputTokens,
      audio: { output: { format: response.format, voice: response.voice } },
      metadata: response.metadata,
      usage:
        status === 'in_progress'
          ? null
          : {
              total_tokens: input + outputText + outputAudio,
              input_tokens: input,
              output_tokens: outputText + outputAudio,
              input_token_details: { text_tokens: input, audio_tokens: 0, cached_tokens: 0 },
              output_token_details: { text_tokens: outputText, audio_tokens: outputAudio },
            },
    };
  }

  // ---- plumbing ----

  /** Resolves true after `ms`; false at once when the session closes or the response ends meanwhile. */
  private sleep(ms: number, response?: ActiveResponse): Promise<boolean> {
    if (this.closed || response?.done) return Promise.resolve(false);
    if (ms <= 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const signal = response?.abort.signal;
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        this.waits.delete(finish);
        signal?.removeEventListener('abort', onAbort);
        resolve(ok);
      };
      const onAbort = () => finish(false);
      const timer = setTimeout(() => finish(!this.closed && !response?.done), ms);
      this.waits.add(finish);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private async yieldTurn(response: ActiveResponse): Promise<boolean> {
    await nextTurn();
    return !this.closed && !response.done;
  }

  private send(event: ServerEvent): void {
    const { socket } = this.deps;
    if (this.closed || socket.readyState !== WebSocket.OPEN) return;
    this.deps.record('server', event.type);
    socket.send(JSON.stringify({ event_id: this.deps.nextId('event'), ...event }));
  }

  private sendError(error: ErrorDetails, clientEventId: string | null): void {
    this.send({
      type: 'error',
      error: {
        type: error.type ?? 'invalid_request_error',
        code: error.code,
        message: error.message,
        param: error.param ?? null,
        event_id: clientEventId,
      },
    });
  }
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data as ArrayBuffer).toString('utf8');
}

/** The text an out-of-band response is asked to read aloud: the last input message with input_text. */
function readAloudText(input: ResponseParams['input']): string | undefined {
  const messages = (input ?? []).filter((entry): entry is MessageItemParam => entry.type === 'message');
  for (let i = messages.length - 1; i >= 0; i -= 1) {
    const texts = messages[i]!.content.flatMap((part) => (part.type === 'input_text' ? [part.text] : []));
    if (texts.length > 0) return texts.join(' ');
  }
  return undefined;
}

async function itemText(item: StoredItem | MessageItemParam): Promise<string> {
  const texts: string[] = [];
  for (const part of item.content) {
    switch (part.type) {
      case 'input_text':
      case 'output_text':
        texts.push(part.text);
        break;
      case 'input_audio':
        texts.push(part.transcript ?? ('recognition' in part && part.recognition ? await part.recognition.catch(() => '') : ''));
        break;
      case 'output_audio':
        texts.push(part.transcript ?? '');
        break;
    }
  }
  return texts.join(' ').trim();
}

function wireItem(item: StoredItem): Record<string, unknown> {
  return {
    id: item.id,
    object: 'realtime.item',
    type: 'message',
    status: item.status,
    role: item.role,
    content: item.content.map((part) => {
      switch (part.type) {
        case 'input_audio':
          return { type: 'input_audio', transcript: part.transcript };
        case 'output_audio':
          return { type: 'output_audio', transcript: part.transcript };
        default:
          return part;
      }
    }),
  };
}
