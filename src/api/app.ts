import Koa from 'koa';
import type { Client } from '@temporalio/client';
import type { CallScript } from '../../workflows/definitions';
import type { AppConfig } from '../config/env';
import type { Logger } from '../logging/logger';
import { errorMiddleware } from './errors';
import { openApiRoutes } from './openapi';
import { callRoutes } from './routes/calls';
import { healthRoutes } from './routes/health';
import { telephonyEventRoutes } from './routes/telephony-events';
import { voximplantSessionRoutes } from './routes/voximplant-session';

const TEMPORAL_REQUEST_DEADLINE_MS = 5000;

export interface ApiDeps {
  config: AppConfig;
  logger: Logger;
  client: Client;
  script: CallScript;
}

/** The HTTP API: `POST /call`, `GET /calls/:id`, `POST /telephony/events`, health and OpenAPI. */
export function createApiApp(deps: ApiDeps): Koa {
  const app = new Koa();
  app.proxy = true;
  app.use(errorMiddleware(deps.logger));
  // Every Temporal call a request makes is bounded, so an unreachable cluster answers 503 quickly.
  app.use((ctx, next) => deps.client.connection.withDeadline(Date.now() + TEMPORAL_REQUEST_DEADLINE_MS, next));
  for (const router of [callRoutes(deps), telephonyEventRoutes(deps), voximplantSessionRoutes(deps), healthRoutes(deps), openApiRoutes()]) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  return app;
}
