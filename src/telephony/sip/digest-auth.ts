/**
 * HTTP digest authentication as SIP uses it (RFC 3261 22.4, RFC 2617, RFC 8760 for SHA-256):
 * answers a 401 WWW-Authenticate / 407 Proxy-Authenticate challenge.
 */
import { createHash, randomBytes } from 'node:crypto';

export type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess';

export interface DigestChallenge {
  realm: string;
  nonce: string;
  opaque?: string;
  algorithm: DigestAlgorithm;
  /** qop options offered by the server; empty for an RFC 2069 challenge. */
  qop: string[];
  stale: boolean;
}

export interface DigestCredentials {
  username: string;
  password: string;
}

/** `key=value` / `key="quoted, value"` pairs separated by commas. */
export function parseAuthParams(text: string): Record<string, string> {
  const params: Record<string, string> = {};
  const re = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const name = (m[1] ?? '').toLowerCase();
    params[name] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '');
  }
  return params;
}

const ALGORITHMS: Record<string, DigestAlgorithm> = {
  md5: 'MD5',
  'md5-sess': 'MD5-sess',
  'sha-256': 'SHA-256',
  'sha-256-sess': 'SHA-256-sess',
};

/** Parses one challenge; undefined for non-Digest schemes and algorithms we cannot answer. */
export function parseDigestChallenge(header: string): DigestChallenge | undefined {
  const match = /^\s*Digest\s+(.*)$/is.exec(header);
  if (!match) return undefined;
  const params = parseAuthParams(match[1] ?? '');
  const algorithm = ALGORITHMS[(params.algorithm ?? 'MD5').toLowerCase()];
  if (algorithm === undefined || params.nonce === undefined) return undefined;
  return {
    realm: params.realm ?? '',
    nonce: params.nonce,
    opaque: params.opaque,
    algorithm,
    qop: (params.qop ?? '')
      .split(',')
      .map((q) => q.trim().toLowerCase())
      .filter((q) => q.length > 0),
    stale: (params.stale ?? '').toLowerCase() === 'true',
  };
}

/** RFC 8760: a server may offer several challenges; answer the first one we support. */
export function pickChallenge(headers: readonly string[]): DigestChallenge | undefined {
  for (const header of headers) {
    const challenge = parseDigestChallenge(header);
    if (challenge) return challenge;
  }
  return undefined;
}

export interface DigestInput {
  username: string;
  password: string;
  realm: string;
  nonce: string;
  method: string;
  uri: string;
  algorithm?: DigestAlgorithm;
  qop?: 'auth' | 'auth-int';
  /** 8 hex digits, e.g. 00000001; required with qop. */
  nc?: string;
  cnonce?: string;
  /** Message body, for qop=auth-int. */
  body?: Buffer;
}

const hashOf = (algorithm: DigestAlgorithm) => (data: string | Buffer) =>
  createHash(algorithm.startsWith('SHA-256') ? 'sha256' : 'md5')
    .update(data)
    .digest('hex');

/** The `response=` value (RFC 2617 3.2.2.1). */
export function computeDigestResponse(input: DigestInput): string {
  const algorithm = input.algorithm ?? 'MD5';
  const H = hashOf(algorithm);
  let ha1 = H(`${input.username}:${input.realm}:${input.password}`);
  if (algorithm.endsWith('-sess')) ha1 = H(`${ha1}:${input.nonce}:${input.cnonce ?? ''}`);
  const ha2 =
    input.qop === 'auth-int'
      ? H(`${input.method}:${input.uri}:${H(input.body ?? Buffer.alloc(0))}`)
      : H(`${input.method}:${input.uri}`);
  if (input.qop === undefined) return H(`${ha1}:${input.nonce}:${ha2}`);
  return H(`${ha1}:${input.nonce}:${input.nc ?? '00000001'}:${input.cnonce ?? ''}:${input.qop}:${ha2}`);
}

/**
 * Builds Authorization / Proxy-Authorization values and keeps the nonce count per nonce, so a
 * reused nonce gets nc=00000002, 00000003... (a server may reject a repeated nc as a replay).
 */
export class DigestAuthenticator {
  private readonly nonceCounts = new Map<string, number>();

  constructor(
    private readonly credentials: DigestCredentials,
    private readonly newCnonce: () => string = () => randomBytes(8).toString('hex'),
  ) {}

  authorize(challenge: DigestChallenge, method: string, uri: string, body?: Buffer): string {
    const qop = challenge.qop.includes('auth') ? 'auth' : challenge.qop.includes('auth-int') ? 'auth-int' : undefined;
    const count = (this.nonceCounts.get(challenge.nonce) ?? 0) + 1;
    this.nonceCounts.set(challenge.nonce, count);
    if (this.nonceCounts.size > 32) this.nonceCounts.delete(this.nonceCounts.keys().next().value ?? '');
    const nc = count.toString(16).padStart(8, '0');
    const cnonce = qop !== undefined || challenge.algorithm.endsWith('-sess') ? this.newCnonce() : undefined;
    const response = computeDigestResponse({
      ...this.credentials,
      realm: challenge.realm,
      nonce: challenge.nonce,
      method,
      uri,
      algorithm: challenge.algorithm,
      qop,
      nc,
      cnonce,
      body,
    });
    const parts = [
      `username="${quote(this.credentials.username)}"`,
      `realm="${quote(challenge.realm)}"`,
      `nonce="${quote(challenge.nonce)}"`,
      `uri="${quote(uri)}"`,
      `response="${response}"`,
      `algorithm=${challenge.algorithm}`,
    ];
    if (cnonce !== undefined) parts.push(`cnonce="${cnonce}"`);
    if (challenge.opaque !== undefined) parts.push(`opaque="${quote(challenge.opaque)}"`);
    if (qop !== undefined) parts.push(`qop=${qop}`, `nc=${nc}`);
    return `Digest ${parts.join(', ')}`;
  }
}

const quote = (s: string): string => s.replace(/(["\\])/g, '\\$1');

/**
 * The challenge in a 401/407 and the header that answers it: 401 carries WWW-Authenticate
 * (answered by Authorization), 407 Proxy-Authenticate (answered by Proxy-Authorization).
 */
export function challengeOf(
  status: number,
  getAll: (name: string) => string[],
): { challenge: DigestChallenge; header: 'Authorization' | 'Proxy-Authorization' } | undefined {
  const isProxy = status === 407;
  const challenge = pickChallenge(getAll(isProxy ? 'proxy-authenticate' : 'www-authenticate'));
  return challenge ? { challenge, header: isProxy ? 'Proxy-Authorization' : 'Authorization' } : undefined;
}
