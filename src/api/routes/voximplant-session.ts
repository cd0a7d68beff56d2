import Router from '@koa/router';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { z } from 'zod';
import type { AppConfig } from '../../config/env';
import type { Logger } from '../../logging/logger';
import { mediaStreamUrl } from '../../media-gateway/media-token';
import { callSessionQuery } from '../../../workflows/definitions';
import { requireWebhookSecret } from '../auth';
import { ApiError } from '../errors';

/** What our VoxEngine scenario needs to place and bridge the call (custom data holds only the call id). */
export const VoximplantSessionResponseSchema = z.object({
  call_id: z.uuid(),
  phone: z.string(),
  caller_id: z.string(),
  ring_timeout_sec: z.number().int(),
  /** wss://…/telephony/audio/{call_id}?token=… with a signed, expiring per-call media token. */
  media_url: z.string(),
  /** A `WebSocketAudioEncoding` member name. */
  encoding: z.string(),
});

const CallIdSchema = z.uuid();

/** `GET /telephony/voximplant/calls/{call_id}/session` (X-Webhook-Secret), asked once by the scenario at start. */
export function voximplantSessionRoutes({ config, logger, client }: { config: AppConfig; logger: Logger; client: Client }): Router {
  const router = new Router();
  router.get('/telephony/voximplant/calls/:call_id/session', async (ctx) => {
    requireWebhookSecret(ctx, config.webhookSecret);
    if (!config.voximplant) throw new ApiError(404, 'not_found', 'Voximplant is not the configured telephony provider');
    const callId = CallIdSchema.safeParse(ctx.params.call_id);
    if (!callId.success) throw new ApiError(404, 'not_found', 'No such call');
    const session = await client.workflow
      .getHandle(callId.data)
      .query(callSessionQuery)
      .catch((err: unknown) => {
        if (err instanceof WorkflowNotFoundError) throw new ApiError(404, 'not_found', `No call ${callId.data}`);
        throw err;
      });
    if (session.status !== 'created' && session.status !== 'dialing') {
      throw new ApiError(409, 'call_not_dialing', `Call ${callId.data} is ${session.status}`);
    }
    const body: z.infer<typeof VoximplantSessionResponseSchema> = {
      call_id: callId.data,
      phone: session.phone,
      caller_id: config.voximplant.settings.caller_id,
      ring_timeout_sec: config.env.CALL_RING_TIMEOUT_SEC,
      // `dialect` tells the gateway to speak Voximplant's flavour (customEvent for our own messages).
      media_url: mediaStreamUrl(config, callId.data, 'voximplant'),
      encoding: config.voximplant.settings.encoding,
    };
    logger.info({ call_id: callId.data }, 'voximplant scenario fetched its call session');
    ctx.body = body;
  });
  return router;
}
