import type OpenAI from 'openai';
import { requestOptions } from './client';
import { buildReplyMessages, INTERRUPTED_MARK, type OperatorReplyRequest } from './operator-reply';

/** A sentence ends at . ! ? or … followed by whitespace. */
const SENTENCE_END = /^([\s\S]+?[.!?…]+)\s+/;

/**
 * The operator's reply streamed from the model and cut into sentences as they complete, so speech
 * can start with the first sentence while the rest is still being generated. Sentences are raw:
 * the goodbye marker is left for the caller to strip.
 */
export async function* streamOperatorSentences(client: OpenAI, request: OperatorReplyRequest): AsyncGenerator<string> {
  const stream = await client.chat.completions.create(
    {
      model: request.model,
      messages: buildReplyMessages(request),
      temperature: request.temperature,
      max_completion_tokens: request.maxOutputTokens,
      stream: true,
    },
    requestOptions(request),
  );
  let buffer = '';
  for await (const chunk of stream) {
    buffer += chunk.choices[0]?.delta?.content ?? '';
    for (let match = SENTENCE_END.exec(buffer); match; match = SENTENCE_END.exec(buffer)) {
      buffer = buffer.slice(match[0].length);
      const sentence = clean(match[1]!);
      if (sentence) yield sentence;
    }
  }
  const rest = clean(buffer);
  if (rest) yield rest;
}

/** The model must never repeat our "interrupted" annotation aloud. */
function clean(text: string): string {
  return text.split(INTERRUPTED_MARK.trim()).join('').trim();
}
