import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { z } from 'zod';

/** The key file Voximplant gives a service account (`credentials.json`). */
export const VoximplantServiceAccountSchema = z.object({
  account_id: z.coerce.number().int().positive(),
  key_id: z.string().min(1),
  private_key: z.string().includes('PRIVATE KEY'),
});
export type VoximplantServiceAccount = z.infer<typeof VoximplantServiceAccountSchema>;

/** Tokens live up to an hour; we mint 10-minute ones and renew a minute early. */
const TOKEN_TTL_SEC = 600;
const RENEW_BEFORE_SEC = 60;

/**
 * Management API authentication: `Authorization: Bearer <JWT>`, RS256 signed with the service
 * account's private key, header `kid` = key id, claims `iss` = account id, `iat` a few seconds in
 * the past (clock skew), `exp` <= iat + 3600.
 */
export class VoximplantTokenSource {
  private readonly key: KeyObject;
  private cached: { token: string; renewAt: number } | null = null;

  constructor(
    private readonly account: VoximplantServiceAccount,
    private readonly now: () => number = Date.now,
  ) {
    this.key = createPrivateKey(account.private_key);
  }

  token(): string {
    const nowSec = Math.floor(this.now() / 1000);
    if (this.cached && nowSec < this.cached.renewAt) return this.cached.token;
    const iat = nowSec - 5;
    const exp = iat + TOKEN_TTL_SEC;
    const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: this.account.key_id }));
    const claims = base64url(JSON.stringify({ iss: this.account.account_id, iat, exp }));
    const signature = sign('RSA-SHA256', Buffer.from(`${header}.${claims}`), this.key).toString('base64url');
    const token = `${header}.${claims}.${signature}`;
    this.cached = { token, renewAt: exp - RENEW_BEFORE_SEC };
    return token;
  }
}

function base64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}
