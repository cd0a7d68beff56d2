import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import { ApiError } from './errors';

/** Constant-time comparison of a presented secret with the expected one (hashes equalise lengths). */
export function secretsMatch(presented: string | undefined, expected: string): boolean {
  if (!presented) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Provider callbacks carry the shared webhook secret: 401 without it. */
export function requireWebhookSecret(ctx: Context, webhookSecret: string): void {
  if (!secretsMatch(ctx.get('x-webhook-secret') || undefined, webhookSecret)) {
    throw new ApiError(401, 'unauthorized', 'Missing or invalid X-Webhook-Secret header');
  }
}
