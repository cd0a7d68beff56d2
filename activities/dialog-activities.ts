import { ApplicationFailure } from '@temporalio/activity';
import type OpenAI from 'openai';
import type { DialogTurn } from '../src/domain/call-session';
import type { Logger } from '../src/logging/logger';
import { classifyCall } from '../src/openai/call-classifier';
import { describeOpenAIError, isRetryableOpenAIError } from '../src/openai/client';
import { generateOperatorReply, type OperatorReplyRequest } from '../src/openai/operator-reply';
import { metrics } from '../src/metrics/metrics';

export interface DialogSettings {
  chatModel: string;
  classifierModel: string;
  temperature: number;
  maxOutputTokens: number;
  maxHistoryTurns: number;
  systemPrompt: string;
  /** streamed: speak each sentence as the model completes it; whole: speak the finished reply (REPLY_SPEECH). */
  replySpeech?: 'streamed' | 'whole';
}

export interface DialogActivityDeps {
  openai: OpenAI;
  settings: DialogSettings;
  logger: Logger;
}

/** The model request of an operator reply, from the configured dialog settings. */
export function replyRequest(settings: DialogSettings, history: DialogTurn[], closingInstruction?: string): OperatorReplyRequest {
  return {
    model: settings.chatModel,
    temperature: settings.temperature,
    maxOutputTokens: settings.maxOutputTokens,
    systemPrompt: settings.systemPrompt,
    history,
    maxHistoryTurns: settings.maxHistoryTurns,
    closingInstruction,
  };
}

/** Logs an OpenAI failure (spec 8.2) and tells Temporal whether another attempt can help. */
function openAIFailure(logger: Logger, stage: 'LLM' | 'classification', callId: string, err: unknown): Error {
  metrics.errors.inc({ kind: stage === 'LLM' ? 'llm' : 'classification' });
  const described = describeOpenAIError(err);
  logger.error({ call_id: callId, stage, kind: described.kind, status: described.status, err_message: described.message }, 'openai request failed');
  const message = `${stage} failed (${described.kind}): ${described.message}`;
  return isRetryableOpenAIError(err)
    ? ApplicationFailure.retryable(message, 'OpenAIError')
    : ApplicationFailure.nonRetryable(message, 'NonRetryableOpenAIError');
}

export function createDialogActivities({ openai, settings, logger }: DialogActivityDeps) {
  return {
    /** One assistant turn: the operator's reply to the dialog so far (spec 5.1, 6.2). */
    async generateOperatorReply({
      callId,
      history,
      closingInstruction,
    }: {
      callId: string;
      history: DialogTurn[];
      closingInstruction?: string;
    }): Promise<{ text: string; isGoodbye: boolean; llmMs: number }> {
      const startedAt = performance.now();
      try {
        const reply = await generateOperatorReply(openai, replyRequest(settings, history, closingInstruction));
        const llmMs = Math.round(performance.now() - startedAt);
        metrics.stage.observe({ stage: 'llm' }, llmMs / 1000);
        return { text: reply.text, isGoodbye: reply.isGoodbye, llmMs };
      } catch (err) {
        throw openAIFailure(logger, 'LLM', callId, err);
      }
    },

    /** Spec 6.2: disposition + 1-2 sentence summary over the whole conversation. */
    async classifyCallOutcome({ callId, transcript }: { callId: string; transcript: DialogTurn[] }) {
      try {
        return await classifyCall(openai, { model: settings.classifierModel, transcript });
      } catch (err) {
        throw openAIFailure(logger, 'classification', callId, err);
      }
    },
  };
}
