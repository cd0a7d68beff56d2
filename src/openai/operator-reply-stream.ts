import type OpenAI from 'openai';
import { requestOptions } from './client';
import { samplingParams } from './sampling';
import { buildReplyMessages, INTERRUPTED_MARK, type OperatorReplyRequest } from './operator-reply';

/** A sentence ends at . ! ? or … followed by whitespace. */
const SENTENCE_END = /^([\s\S]+?[.!?…]+)\s+/;
/** Where a clause ends: a comma, semicolon, colon or dash followed by whitespace. */
const CLAUSE_BOUNDARY = /[,;:—–]\s+/g;
/** A first clause this long is worth voicing on its own (shorter ones sound clipped). */
const MIN_FIRST_CLAUSE_WORDS = 3;

/**
 * The operator's reply streamed from the model and cut into sentences as they complete, so speech
 * can start with the first sentence while the rest is still being generated. The very first piece
 * is cut earlier, at the end of its first clause of three words or more (the callee is waiting for
 * it; the rest follows without a gap, and a comma is a natural place to breathe). Pieces are raw:
 * the goodbye marker is left for the caller to strip.
 */
export async function* streamOperatorSentences(client: OpenAI, request: OperatorReplyRequest): AsyncGenerator<string> {
  const stream = await client.chat.completions.create(
    {
      model: request.model,
      messages: buildReplyMessages(request),
      ...samplingParams(request.reasoningEffort ?? 'none', request.temperature),
      max_completion_tokens: request.maxOutputTokens,
      stream: true,
    },
    requestOptions(request),
  );
  let buffer = '';
  let first = true;
  let finishReason: string | null = null;
  for await (const chunk of stream) {
    buffer += chunk.choices[0]?.delta?.content ?? '';
    finishReason = chunk.choices[0]?.finish_reason ?? finishReason;
    if (first) {
      const clause = firstClause(buffer);
      if (clause) {
        buffer = buffer.slice(clause.length);
        first = false;
        yield clean(clause);
      }
    }
    for (let match = SENTENCE_END.exec(buffer); match; match = SENTENCE_END.exec(buffer)) {
      first = false;
      buffer = buffer.slice(match[0].length);
      const sentence = clean(match[1]!);
      if (sentence) yield sentence;
    }
  }
  const rest = clean(buffer);
  // A reply cut by the token limit ends mid-sentence: that tail is never spoken (unless it is all there is).
  // An aborted stream ends quietly: its unfinished buffer was never said.
  if (rest && !request.signal?.aborted && (finishReason !== 'length' || first)) yield rest;
}

/** The first clause of three words or more (with its trailing whitespace), when it is complete and ends before the first sentence does. */
function firstClause(buffer: string): string | null {
  const sentence = SENTENCE_END.exec(buffer);
  for (const boundary of buffer.matchAll(CLAUSE_BOUNDARY)) {
    const end = boundary.index + boundary[0].length;
    if (sentence && end >= sentence[0].length) return null; // the sentence is complete first: it goes whole
    if (clean(buffer.slice(0, boundary.index + 1)).split(/\s+/).length >= MIN_FIRST_CLAUSE_WORDS) return buffer.slice(0, end);
  }
  return null;
}

/** The model must never repeat our "interrupted" annotation aloud. */
function clean(text: string): string {
  return text.split(INTERRUPTED_MARK.trim()).join('').trim();
}
