import { ApplicationFailure } from '@temporalio/activity';
import type { DialogTurn } from '../src/domain/call-session';
import { metrics } from '../src/metrics/metrics';
import { describeOpenAIError, isRetryableOpenAIError } from '../src/openai/client';
import { streamOperatorSentences } from '../src/openai/operator-reply-stream';
import { splitGoodbyeMarker } from '../src/openai/system-prompt';
import { replyRequest, type DialogActivityDeps } from './dialog-activities';
import { sayOnLine, type SpeakResult, type VoiceActivityDeps } from './voice-activities';

export interface SpokenReply {
  /** What was actually said (a reply cut by barge-in keeps only its spoken part). */
  text: string;
  isGoodbye: boolean;
  interrupted: boolean;
  /** Request -> first complete sentence from the model. */
  llmMs: number;
  /** Timings of the first sentence on the line (the one the callee waits for). */
  firstSentence: SpeakResult;
}

/**
 * A voice turn's reply in one step: the model's answer is streamed, its first sentence goes to the
 * line as soon as it is complete, the rest follows after it (unless the callee talked over it).
 * Voice-to-voice then waits for one sentence, not the whole reply.
 */
export function createSpokenReplyActivities({ openai, settings, voice, logger }: DialogActivityDeps & VoiceActivityDeps) {
  return {
    async replyAndSpeak({ callId, history, closingInstruction }: { callId: string; history: DialogTurn[]; closingInstruction?: string }): Promise<SpokenReply> {
      const startedAt = performance.now();
      const sentences: string[] = [];
      let isGoodbye = false;
      let firstSentence: SpeakResult | null = null;
      let llmMs = 0;
      let firstPlayback: Promise<SpeakResult> | null = null;
      try {
        for await (const raw of streamOperatorSentences(openai, replyRequest(settings, history, closingInstruction))) {
          const sentence = splitGoodbyeMarker(raw);
          isGoodbye ||= sentence.isGoodbye;
          if (sentence.text === '') continue;
          sentences.push(sentence.text);
          if (!firstPlayback) {
            llmMs = Math.round(performance.now() - startedAt);
            metrics.stage.observe({ stage: 'llm' }, llmMs / 1000);
            firstPlayback = sayOnLine(voice, callId, sentence.text, false);
          }
        }
      } catch (err) {
        metrics.errors.inc({ kind: 'llm' });
        const described = describeOpenAIError(err);
        logger.error({ call_id: callId, stage: 'LLM', kind: described.kind, status: described.status, err_message: described.message }, 'openai request failed');
        // Once something was said the turn stands; before that, Temporal may retry it.
        if (!firstPlayback) {
          const message = `LLM failed (${described.kind}): ${described.message}`;
          throw isRetryableOpenAIError(err)
            ? ApplicationFailure.retryable(message, 'OpenAIError')
            : ApplicationFailure.nonRetryable(message, 'NonRetryableOpenAIError');
        }
      }
      if (!firstPlayback) throw ApplicationFailure.retryable('The model returned an empty operator reply', 'OpenAIError');
      firstSentence = await firstPlayback;
      let interrupted = firstSentence.interrupted;
      let said = [sentences[0]!];
      const rest = sentences.slice(1).join(' ');
      if (!interrupted && rest !== '') {
        const second = await sayOnLine(voice, callId, rest, false);
        interrupted = second.interrupted;
        said = sentences;
      }
      return { text: said.join(' '), isGoodbye: isGoodbye && !interrupted, interrupted, llmMs, firstSentence };
    },
  };
}
