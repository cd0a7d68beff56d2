import { createHash, randomUUID } from 'node:crypto';
import Router from '@koa/router';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { AppConfig } from '../../config/env';
import { callLimitsFrom, dialRouteOf, mediaModeOf } from '../../config/env';
import { normalizeRussianPhone } from '../../domain/phone';
import type { CallSession } from '../../domain/call-session';
import type { Logger } from '../../logging/logger';
import { CallStatusAttribute } from '../../../workflows/search-attributes';
import {
  callSlotsWorkflowId,
  callSessionQuery,
  requestSlotSignal,
  slotLeaseSec,
  type CallScript,
  type CallWorkflowInput,
} from '../../../workflows/definitions';
import { metrics } from '../../metrics/metrics';
import { secretsMatch } from '../auth';
import { ApiError } from '../errors';
import { readJsonBody } from '../request-body';
import { IdempotencyKeySchema } from '../schemas';

export interface CallRoutesDeps {
  config: AppConfig;
  logger: Logger;
  client: Client;
  script: CallScript;
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The same Idempotency-Key always maps to the same call id (a UUID v4-formatted digest), so a
 * retried request finds the workflow it already started instead of dialing again.
 */
export function callIdForIdempotencyKey(key: string): string {
  const bytes = createHash('sha256').update(`voice-call:${key}`).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const phoneDigest = (phone: string) => createHash('sha256').update(phone).digest('hex');

export function callRoutes({ config, logger, client, script }: CallRoutesDeps): Router {
  const router = new Router();

  router.post('/call', async (ctx) => {
    if (!secretsMatch(ctx.get('x-api-key') || undefined, config.apiAuthKey)) {
      throw new ApiError(401, 'unauthorized', 'Missing or invalid X-API-Key header');
    }
    const body = await readJsonBody(ctx, config.env.API_MAX_BODY_BYTES);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new ApiError(400, 'invalid_body', 'Request body must be a JSON object like {"phone": "+79XXXXXXXXX"}');
    }
    const rawPhone = (body as Record<string, unknown>).phone;
    if (rawPhone === undefined || rawPhone === null) {
      throw new ApiError(400, 'invalid_body', 'Field "phone" is required');
    }
    const phone = typeof rawPhone === 'string' ? normalizeRussianPhone(rawPhone) : null;
    if (phone === null) {
      throw new ApiError(400, 'invalid_phone', 'Field "phone" must match ^(\\+7|8)\\d{10}$, e.g. +79161234567');
    }
    const idempotencyHeader = ctx.get('idempotency-key');
    let callId: string = randomUUID();
    if (idempotencyHeader) {
      const key = IdempotencyKeySchema.safeParse(idempotencyHeader);
      if (!key.success) throw new ApiError(400, 'invalid_idempotency_key', 'Idempotency-Key must be 1-255 printable ASCII characters');
      callId = callIdForIdempotencyKey(key.data);
    }

    const input: CallWorkflowInput = {
      callId,
      phone,
      createdAt: new Date().toISOString(),
      limits: callLimitsFrom(config),
      script,
      media: mediaModeOf(config),
      ...dialRouteOf(config),
      concurrency: { slotsWorkflowId: callSlotsWorkflowId(config.env.TEMPORAL_TASK_QUEUE), maxConcurrentCalls: config.env.MAX_CONCURRENT_CALLS },
    };
    let replayed = false;
    try {
      await client.workflow.start('CallWorkflow', {
        workflowId: callId,
        taskQueue: config.env.TEMPORAL_TASK_QUEUE,
        args: [input],
        // The same call id never starts twice, running or finished: the retry gets the first call.
        workflowIdConflictPolicy: 'FAIL',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: [{ key: CallStatusAttribute, value: 'created' }],
        memo: { phone_sha256: phoneDigest(phone) },
        staticSummary: `Outbound call via ${config.env.TELEPHONY_PROVIDER}`,
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      replayed = true;
    }
    if (replayed) {
      const description = await client.workflow.getHandle(callId).describe();
      if (description.memo?.phone_sha256 !== phoneDigest(phone)) {
        throw new ApiError(422, 'idempotency_key_reused', 'This Idempotency-Key was already used with a different phone number');
      }
      ctx.set('Idempotent-Replayed', 'true');
      logger.info({ call_id: callId }, 'call request replayed (Idempotency-Key): nothing new dialed');
    } else {
      logger.info({ call_id: callId, phone }, 'call requested');
      metrics.callsStarted.inc();
      // Join the line queue now, so calls get a free line in the order they were requested.
      await client.workflow.signalWithStart('CallSlotsWorkflow', {
        workflowId: callSlotsWorkflowId(config.env.TEMPORAL_TASK_QUEUE),
        taskQueue: config.env.TEMPORAL_TASK_QUEUE,
        args: [],
        signal: requestSlotSignal,
        signalArgs: [{ callId, maxConcurrentCalls: config.env.MAX_CONCURRENT_CALLS, leaseSec: slotLeaseSec(input.limits) }],
      });
    }
    ctx.status = replayed ? 200 : 201;
    ctx.body = { call_id: callId, status: 'created' };
  });

  router.get('/calls/:callId', async (ctx) => {
    if (!secretsMatch(ctx.get('x-api-key') || undefined, config.apiAuthKey)) {
      throw new ApiError(401, 'unauthorized', 'Missing or invalid X-API-Key header');
    }
    const callId = ctx.params.callId ?? '';
    if (!UUID_PATTERN.test(callId)) throw new ApiError(404, 'not_found', `No call ${callId}`);
    ctx.body = await readCallSession(client, callId);
  });

  return router;
}

/** A running call answers a query; a finished one is read from its result (no worker needed). */
export async function readCallSession(client: Client, callId: string): Promise<CallSession> {
  const handle = client.workflow.getHandle(callId);
  try {
    const description = await handle.describe();
    if (description.type !== 'CallWorkflow') throw new ApiError(404, 'not_found', `No call ${callId}`);
    if (description.status.name === 'RUNNING') return await handle.query(callSessionQuery);
    if (description.status.name === 'COMPLETED') return (await handle.result()) as CallSession;
    throw new ApiError(409, 'call_not_readable', `The call's workflow is ${description.status.name.toLowerCase()}`);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new ApiError(404, 'not_found', `No call ${callId}`);
    throw err;
  }
}
