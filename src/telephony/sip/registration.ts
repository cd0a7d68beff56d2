/**
 * REGISTER binding (RFC 3261 10) with digest auth, refresh before it expires, and removal
 * (Expires: 0) on close. One Call-ID and increasing CSeq for the whole life of the user agent
 * (10.2.4), so the registrar sees refreshes, not new registrations.
 */
import { EventEmitter } from 'node:events';
import { challengeOf, type DigestAuthenticator } from './digest-auth';
import { newBranch, newCallId, newTag } from './identifiers';
import type { SipLogger } from './logger';
import { type SipRequest, type SipResponse, SipHeaders, parseNameAddr, parseSipUri } from './sip-message';
import type { TransactionLayer } from './transactions';

export type RegistrationState = 'unregistered' | 'registering' | 'registered' | 'failed';

export interface RegistrationContext {
  logger: SipLogger;
  transactions: TransactionLayer;
  local(): { host: string; port: number };
  domain: string;
  username: string;
  authenticator: DigestAuthenticator;
  userAgent: string;
  expiresSec: number;
  /** Called with every final response, so the UA can learn its public address from Via received/rport. */
  onResponse(response: SipResponse): void;
}

export class RegistrationError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** Retry a failed refresh after this long (capped by half the requested expiry). */
const RETRY_AFTER_SEC = 30;

export class Registration extends EventEmitter<{ state: [RegistrationState, string?] }> {
  state: RegistrationState = 'unregistered';
  /** Expiry the registrar granted last time, in seconds. */
  grantedSec?: number;
  private readonly callId: string;
  private readonly tag = newTag();
  private cseq = 0;
  private refreshTimer?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly ctx: RegistrationContext) {
    super();
    this.callId = newCallId(ctx.local().host);
  }

  private get aor(): string {
    return `sip:${this.ctx.username}@${this.ctx.domain}`;
  }

  /** Registers (or refreshes); resolves with the granted expiry. Rejects with RegistrationError. */
  async register(): Promise<number> {
    this.stopped = false;
    clearTimeout(this.refreshTimer);
    this.setState('registering');
    try {
      let contact = this.contactUri();
      let response = await this.transact(this.ctx.expiresSec);
      // The registrar told us our public address (Via received/rport): register that Contact instead.
      if (response.status < 300 && this.contactUri() !== contact) {
        contact = this.contactUri();
        response = await this.transact(this.ctx.expiresSec);
      }
      if (response.status >= 300) {
        throw new RegistrationError(`REGISTER failed: ${response.status} ${response.reason}`, response.status);
      }
      const granted = this.grantedExpiry(response, contact);
      this.grantedSec = granted;
      this.setState('registered');
      this.ctx.logger.info({ expires_sec: granted, aor: this.aor }, 'sip registered');
      this.scheduleRefresh(granted <= 60 ? granted / 2 : granted - 30);
      return granted;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.setState('failed', message);
      if (!this.stopped) this.scheduleRefresh(Math.min(RETRY_AFTER_SEC, Math.max(1, this.ctx.expiresSec / 2)));
      throw err instanceof RegistrationError ? err : new RegistrationError(message);
    }
  }

  /** Removes our binding (Expires: 0) and stops refreshing; waits at most `maxWaitMs`. */
  async unregister(maxWaitMs: number): Promise<void> {
    this.stopped = true;
    clearTimeout(this.refreshTimer);
    if (this.grantedSec === undefined) return; // never bound: nothing to remove
    let timer: NodeJS.Timeout | undefined;
    try {
      const response = await Promise.race([
        this.transact(0),
        new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), maxWaitMs))),
      ]);
      this.ctx.logger.info({ status: response?.status }, 'sip unregistered');
    } catch (err) {
      this.ctx.logger.warn({ err }, 'sip unregister failed');
    } finally {
      clearTimeout(timer);
      this.setState('unregistered');
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.refreshTimer);
  }

  private scheduleRefresh(afterSec: number): void {
    clearTimeout(this.refreshTimer);
    if (this.stopped) return;
    this.refreshTimer = setTimeout(() => {
      this.register().catch((err: unknown) => this.ctx.logger.warn({ err }, 'sip registration refresh failed'));
    }, afterSec * 1000);
  }

  private contactUri(): string {
    const local = this.ctx.local();
    return `sip:${this.ctx.username}@${local.host}:${local.port}`;
  }

  /** One REGISTER exchange with up to two challenge answers and one 423 (Min-Expires) retry. */
  private transact(expires: number): Promise<SipResponse> {
    return new Promise((resolve, reject) => {
      let challenges = 0;
      let lastNonce: string | undefined;
      let requested = expires;
      let auth: { header: string; value: string } | undefined;
      const attempt = (): void => {
        const request = this.build(requested, auth);
        this.ctx.transactions.request(request, {
          onResponse: (response) => {
            if (response.status < 200) return;
            this.ctx.onResponse(response);
            if (response.status === 401 || response.status === 407) {
              const found = challengeOf(response.status, (name) => response.headers.getAll(name));
              const repeated = challenges > 0 && found !== undefined && !found.challenge.stale && found.challenge.nonce === lastNonce;
              if (found && challenges < 2 && !repeated) {
                challenges++;
                lastNonce = found.challenge.nonce;
                auth = { header: found.header, value: this.ctx.authenticator.authorize(found.challenge, 'REGISTER', request.uri) };
                attempt();
                return;
              }
            }
            const minExpires = Number(response.headers.get('min-expires'));
            if (response.status === 423 && Number.isFinite(minExpires) && minExpires > requested) {
              requested = minExpires;
              auth = undefined;
              attempt();
              return;
            }
            resolve(response);
          },
          onTimeout: () => reject(new RegistrationError('REGISTER timed out: no response from the registrar')),
        });
      };
      attempt();
    });
  }

  private build(expires: number, auth?: { header: string; value: string }): SipRequest {
    const local = this.ctx.local();
    const headers = new SipHeaders([
      ['Via', `SIP/2.0/UDP ${local.host}:${local.port};rport;branch=${newBranch()}`],
      ['Max-Forwards', '70'],
      ['From', `<${this.aor}>;tag=${this.tag}`],
      ['To', `<${this.aor}>`],
      ['Call-ID', this.callId],
      ['CSeq', `${++this.cseq} REGISTER`],
      ['Contact', `<${this.contactUri()}>`],
      ['Expires', String(expires)],
      ['Allow', 'INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO, NOTIFY'],
      ['User-Agent', this.ctx.userAgent],
    ]);
    if (auth) headers.append(auth.header, auth.value);
    return { kind: 'request', method: 'REGISTER', uri: `sip:${this.ctx.domain}`, headers, body: Buffer.alloc(0) };
  }

  /** Our Contact's expires parameter, else the Expires header, else what we asked for. */
  private grantedExpiry(response: SipResponse, contact: string): number {
    const ours = parseSipUri(contact);
    for (const value of response.headers.getAll('contact')) {
      try {
        const addr = parseNameAddr(value);
        const uri = parseSipUri(addr.uri);
        if (uri.host === ours.host && (uri.port ?? 5060) === ours.port && addr.params.expires !== undefined) {
          const sec = Number(addr.params.expires);
          if (Number.isFinite(sec) && sec > 0) return sec;
        }
      } catch {
        // another device's odd Contact: not ours
      }
    }
    const header = Number(response.headers.get('expires'));
    return Number.isFinite(header) && header > 0 ? header : this.ctx.expiresSec;
  }

  private setState(state: RegistrationState, detail?: string): void {
    this.state = state;
    this.emit('state', state, detail);
  }
}
