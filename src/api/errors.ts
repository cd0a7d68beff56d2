import type { Context, Next } from 'koa';
import type { Logger } from '../logging/logger';

/** Every error response is `{"error": {"code", "message"}}` with a stable, machine-readable code. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function errorBody(code: string, message: string, details?: unknown) {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/** Turns thrown errors into JSON; nothing internal (stack traces, messages of unknown errors) leaks out. */
export function errorMiddleware(logger: Logger) {
  return async (ctx: Context, next: Next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        ctx.status = 404;
        ctx.body = errorBody('not_found', `No route for ${ctx.method} ${ctx.path}`);
      } else if (ctx.status === 405 && ctx.body === undefined) {
        ctx.body = errorBody('method_not_allowed', `${ctx.method} is not allowed on ${ctx.path}`);
      }
    } catch (err) {
      if (err instanceof ApiError) {
        ctx.status = err.status;
        ctx.body = errorBody(err.code, err.message, err.details);
        return;
      }
      if (isTemporalUnavailable(err)) {
        logger.error({ path: ctx.path, err_message: String(err) }, 'temporal unavailable');
        ctx.status = 503;
        ctx.set('Retry-After', '5');
        ctx.body = errorBody('temporal_unavailable', 'The call orchestrator is unreachable; retry shortly');
        return;
      }
      logger.error({ err, path: ctx.path, method: ctx.method }, 'unhandled API error');
      ctx.status = 500;
      ctx.body = errorBody('internal_error', 'Internal error');
    }
  };
}

/** gRPC UNAVAILABLE / DEADLINE_EXCEEDED or a dropped connection to the Temporal server. */
function isTemporalUnavailable(err: unknown): boolean {
  const e = err as { name?: string; code?: number; cause?: { code?: number } } | null;
  const code = e?.code ?? e?.cause?.code;
  return e?.name === 'ConnectionError' || e?.name === 'TransportError' || (e?.name === 'ServiceError' && (code === 14 || code === 4));
}
