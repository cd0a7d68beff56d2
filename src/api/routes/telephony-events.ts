import Router from '@koa/router';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { AppConfig } from '../../config/env';
import type { Logger } from '../../logging/logger';
import { TELEPHONY_EVENT_TYPES, UnifiedTelephonyEventSchema } from '../../telephony/unified-event';
import { telephonyEventSignal } from '../../../workflows/definitions';
import { metrics } from '../../metrics/metrics';
import { secretsMatch } from '../auth';
import { ApiError } from '../errors';
import { describeIssues, readJsonBody } from '../request-body';

export interface TelephonyEventRoutesDeps {
  config: AppConfig;
  logger: Logger;
  client: Client;
}

/** Spec 4.2: provider callbacks in the unified format become signals to the call's workflow. */
export function telephonyEventRoutes({ config, logger, client }: TelephonyEventRoutesDeps): Router {
  const router = new Router();

  router.post('/telephony/events', async (ctx) => {
    if (!secretsMatch(ctx.get('x-webhook-secret') || undefined, config.webhookSecret)) {
      throw new ApiError(401, 'unauthorized', 'Missing or invalid X-Webhook-Secret header');
    }
    const body = await readJsonBody(ctx, config.env.API_MAX_BODY_BYTES);
    const eventName = (body as { event?: unknown } | null)?.event;
    if (typeof eventName === 'string' && !(TELEPHONY_EVENT_TYPES as readonly string[]).includes(eventName)) {
      throw new ApiError(400, 'unknown_event', `Unknown event "${eventName}"; expected one of ${TELEPHONY_EVENT_TYPES.join(', ')}`);
    }
    const parsed = UnifiedTelephonyEventSchema.safeParse(body);
    if (!parsed.success) {
      throw new ApiError(400, 'invalid_body', 'Invalid telephony event', describeIssues(parsed.error));
    }
    const event = parsed.data;
    logger.info({ call_id: event.call_id, event: event.event, reason: event.reason }, 'telephony event');
    metrics.telephonyEvents.inc({ event: event.event });

    const handle = client.workflow.getHandle(event.call_id);
    try {
      await handle.signal(telephonyEventSignal, event);
      ctx.body = { accepted: true };
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      // A late event (e.g. a second hangup) for a call that already ended changes nothing.
      const ended = await handle.describe().then(
        (d) => d.type === 'CallWorkflow',
        () => false,
      );
      if (!ended) throw new ApiError(404, 'not_found', `No call ${event.call_id}`);
      ctx.body = { accepted: false, note: 'call already ended; event ignored' };
    }
  });

  return router;
}
