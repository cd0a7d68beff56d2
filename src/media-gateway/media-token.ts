import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * A media token lets one provider connection stream one call's audio, for a limited time.
 * Format: base64url(JSON {c: call id, e: expiry unix seconds}) + "." + base64url(HMAC-SHA256).
 */
export function createMediaToken(callId: string, secret: string, ttlSec: number, nowMs = Date.now()): string {
  const payload = Buffer.from(JSON.stringify({ c: callId, e: Math.floor(nowMs / 1000) + ttlSec })).toString('base64url');
  return `${payload}.${sign(payload, secret)}`;
}

/** The gateway URL a provider streams one call's audio on, with a fresh media token. */
export function mediaStreamUrl(
  config: { mediaGatewayPublicUrl: string; mediaTokenSecret: string; env: { MEDIA_TOKEN_TTL_SEC: number } },
  callId: string,
  dialect?: 'voximplant',
): string {
  const token = createMediaToken(callId, config.mediaTokenSecret, config.env.MEDIA_TOKEN_TTL_SEC);
  return `${config.mediaGatewayPublicUrl}/telephony/audio/${callId}?token=${encodeURIComponent(token)}${dialect ? `&dialect=${dialect}` : ''}`;
}

export type MediaTokenCheck = { ok: true } | { ok: false; reason: 'missing' | 'malformed' | 'bad_signature' | 'expired' | 'wrong_call' };

export function verifyMediaToken(token: string | undefined, callId: string, secret: string, nowMs = Date.now()): MediaTokenCheck {
  if (!token) return { ok: false, reason: 'missing' };
  const [payload, signature, extra] = token.split('.');
  if (!payload || !signature || extra !== undefined) return { ok: false, reason: 'malformed' };
  const expected = Buffer.from(sign(payload, secret));
  const presented = Buffer.from(signature);
  if (expected.length !== presented.length || !timingSafeEqual(expected, presented)) return { ok: false, reason: 'bad_signature' };
  let claims: { c?: unknown; e?: unknown };
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { c?: unknown; e?: unknown };
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (typeof claims.e !== 'number' || claims.e * 1000 < nowMs) return { ok: false, reason: 'expired' };
  if (claims.c !== callId) return { ok: false, reason: 'wrong_call' };
  return { ok: true };
}

function sign(payload: string, secret: string): string {
  return createHmac('sha256', secret).update(`media:${payload}`).digest('base64url');
}
