import type { DialogTurn } from '../domain/call-session';

export interface ReplyModelCapabilities {
  /** Yields the reply while it is generated (so speech starts at the first clause). */
  streaming: boolean;
  /** Returns schema-checked JSON (post-call classification). */
  structuredOutput: boolean;
}

export interface ReplyRequest {
  history: readonly DialogTurn[];
  /** A last instruction at a limit ("sum up and say goodbye"). */
  closingInstruction?: string;
  signal?: AbortSignal;
}

/** One piece of the operator's reply, ready to speak (service marks removed). */
export interface ReplyPiece {
  text: string;
  /** The operator said goodbye in this piece: the call ends after the reply. */
  isGoodbye: boolean;
}

/**
 * The operator's next line from the dialog so far (system prompt, bounded history, temperature and
 * output limit are the implementation's options). Failures throw `SpeechProviderError`.
 */
export interface ReplyModel {
  readonly provider: string;
  readonly model: string;
  readonly capabilities: ReplyModelCapabilities;
  /** The reply in speakable pieces: the first clause first, then sentence by sentence. */
  streamReply(request: ReplyRequest): AsyncIterable<ReplyPiece>;
  /** The whole reply at once. */
  reply(request: ReplyRequest): Promise<ReplyPiece>;
}
