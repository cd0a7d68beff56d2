import Router from '@koa/router';
import type { Client } from '@temporalio/client';
import { registry } from '../../metrics/metrics';

export function healthRoutes({ client }: { client: Client }): Router {
  const router = new Router();
  /** The process is up. */
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  /** Ready to take calls: Temporal answers. */
  router.get('/readyz', async (ctx) => {
    try {
      await client.connection.withDeadline(Date.now() + 2000, () => client.connection.workflowService.getSystemInfo({}));
      ctx.body = { status: 'ready', temporal: 'reachable' };
    } catch {
      ctx.status = 503;
      ctx.body = { error: { code: 'not_ready', message: 'Temporal is not reachable' } };
    }
  });
  /** Prometheus metrics of this process. */
  router.get('/metrics', async (ctx) => {
    ctx.type = registry.contentType;
    ctx.body = await registry.metrics();
  });
  return router;
}
