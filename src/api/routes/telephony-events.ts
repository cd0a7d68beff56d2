import Router from '@koa/router';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Context } from 'koa';
import type { AppConfig } from '../../config/env';
import type { Logger } from '../../logging/logger';
import { TELEPHONY_EVENT_TYPES, UnifiedTelephonyEventSchema, type UnifiedTelephonyEvent } from '../../telephony/unified-event';
import { translateVoximplantWebhook, VoximplantWebhookSchema } from '../../telephony/voximplant/voximplant-events';
import { telephonyEventSignal } from '../../../workflows/definitions';
import { metrics } from '../../metrics/metrics';
import { requireWebhookSecret } from '../auth';
import { ApiError } from '../errors';
import { describeIssues, readJsonBody } from '../request-body';

export interface TelephonyEventRoutesDeps {
  config: AppConfig;
  logger: Logger;
  client: Client;
}

/**
 * Spec 4.2: provider callbacks become signals to the call's workflow. `POST /telephony/events`
 * takes the unified format; `POST /telephony/events/voximplant` takes what our VoxEngine scenario
 * posts and translates it first.
 */
export function telephonyEventRoutes({ config, logger, client }: TelephonyEventRoutesDeps): Router {
  const router = new Router();

  /** Signals the event to its call; a late event for a call that already ended changes nothing. */
  async function deliver(ctx: Context, event: UnifiedTelephonyEvent, provider: string): Promise<void> {
    logger.info({ call_id: event.call_id, event: event.event, reason: event.reason, provider }, 'telephony event');
    metrics.telephonyEvents.inc({ event: event.event });
    const handle = client.workflow.getHandle(event.call_id);
    try {
      await handle.signal(telephonyEventSignal, event);
      ctx.body = { accepted: true };
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      const ended = await handle.describe().then(
        (d) => d.type === 'CallWorkflow',
        () => false,
      );
      if (!ended) throw new ApiError(404, 'not_found', `No call ${event.call_id}`);
      ctx.body = { accepted: false, note: 'call already ended; event ignored' };
    }
  }

  router.post('/telephony/events', async (ctx) => {
    requireWebhookSecret(ctx, config.webhookSecret);
    const body = await readJsonBody(ctx, config.env.API_MAX_BODY_BYTES);
    const eventName = (body as { event?: unknown } | null)?.event;
    if (typeof eventName === 'string' && !(TELEPHONY_EVENT_TYPES as readonly string[]).includes(eventName)) {
      throw new ApiError(400, 'unknown_event', `Unknown event "${eventName}"; expected one of ${TELEPHONY_EVENT_TYPES.join(', ')}`);
    }
    const parsed = UnifiedTelephonyEventSchema.safeParse(body);
    if (!parsed.success) {
      throw new ApiError(400, 'invalid_body', 'Invalid telephony event', describeIssues(parsed.error));
    }
    await deliver(ctx, parsed.data, 'unified');
  });

  router.post('/telephony/events/voximplant', async (ctx) => {
    requireWebhookSecret(ctx, config.webhookSecret);
    const body = await readJsonBody(ctx, config.env.API_MAX_BODY_BYTES);
    const parsed = VoximplantWebhookSchema.safeParse(body);
    if (!parsed.success) {
      const unknownEvent = parsed.error.issues.some((issue) => issue.path[0] === 'event');
      throw new ApiError(400, unknownEvent ? 'unknown_event' : 'invalid_body', 'Invalid Voximplant event', describeIssues(parsed.error));
    }
    await deliver(ctx, translateVoximplantWebhook(parsed.data), 'voximplant');
  });

  return router;
}
