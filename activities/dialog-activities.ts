import { Context } from '@temporalio/activity';
import type { DialogTurn } from '../src/domain/call-session';
import type { Logger } from '../src/logging/logger';
import { metrics } from '../src/metrics/metrics';
import type { CallClassifier, ReplyModel } from '../src/speech-providers';
import { toActivityFailure } from '../src/speech-providers/activity-failure';
import { isSpeechProviderError } from '../src/speech-providers/provider-error';
import { startHeartbeats } from './heartbeat';

export interface DialogActivityDeps {
  replyModel: ReplyModel;
  classifier: CallClassifier;
  logger: Logger;
}

/** Logs a provider failure (spec 8.2) and turns it into a provider-neutral Temporal failure. */
function providerFailure(logger: Logger, callId: string, err: unknown): Error {
  metrics.errors.inc({ kind: isSpeechProviderError(err) && err.stage === 'classification' ? 'classification' : 'llm' });
  logger.error({ call_id: callId, ...(isSpeechProviderError(err) ? err.describe() : { err_message: String(err) }) }, 'speech provider request failed');
  return toActivityFailure(err);
}

/** Heartbeats while `work` runs, so a worker killed mid-request is noticed within the heartbeat timeout. */
export async function withHeartbeat<T>(work: () => Promise<T>): Promise<T> {
  const stopHeartbeats = startHeartbeats(1000);
  try {
    return await work();
  } finally {
    stopHeartbeats();
  }
}

/** The general worker's model activities: the text-mode reply and the post-call classification. */
export function createDialogActivities({ replyModel, classifier, logger }: DialogActivityDeps) {
  return {
    /** One assistant turn in text mode: the operator's reply to the dialog so far (spec 5.1, 6.2). */
    async generateOperatorReply({ callId, history, closingInstruction }: { callId: string; history: DialogTurn[]; closingInstruction?: string }): Promise<{ text: string; isGoodbye: boolean; llmMs: number }> {
      const startedAt = performance.now();
      try {
        const reply = await replyModel.reply({ history, ...(closingInstruction ? { closingInstruction } : {}) });
        const llmMs = Math.round(performance.now() - startedAt);
        metrics.stage.observe({ stage: 'llm' }, llmMs / 1000);
        return { text: reply.text, isGoodbye: reply.isGoodbye, llmMs };
      } catch (err) {
        throw providerFailure(logger, callId, err);
      }
    },

    /** Spec 6.2: disposition + 1-2 sentence summary over the whole conversation. */
    async classifyCallOutcome({ callId, transcript }: { callId: string; transcript: DialogTurn[] }) {
      try {
        return await withHeartbeat(() => classifier.classify(transcript, { signal: Context.current().cancellationSignal }));
      } catch (err) {
        throw providerFailure(logger, callId, err);
      }
    },
  };
}
