import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { loadCallScript } from '../../src/dialog/call-script';
import type { CallLimits, CallScript, CallWorkflowInput } from '../../workflows/definitions';

/** Starts a CallWorkflow directly with its own limits (as POST /call would, minus the HTTP). */
export async function startCallWorkflow(
  client: Client,
  taskQueue: string,
  phone: string,
  limits: Partial<CallLimits> = {},
  media: 'voice' | 'text' = 'text',
  script: Partial<CallScript> = {},
): Promise<string> {
  const callId = randomUUID();
  const input: CallWorkflowInput = {
    callId,
    phone,
    createdAt: new Date().toISOString(),
    limits: { maxConversationSec: 30, maxTurns: 12, ringTimeoutSec: 5, ...limits },
    script: { ...loadCallScript(), ...script },
    media,
    dialVia: 'provider',
    concurrency: null,
  };
  await client.workflow.start('CallWorkflow', { workflowId: callId, taskQueue, args: [input] });
  return callId;
}
