/**
 * Outbound SIP user agent over UDP: registers with the trunk, places calls (SipCall), answers
 * what the network sends outside our calls (OPTIONS 200, unknown dialogs 481, new INVITEs 480).
 * Every request goes to `server` (used as the outbound proxy, which is how trunks are reached);
 * responses go back to the address the request came from (RFC 3581 rport behaviour).
 */
import { isIP } from 'node:net';
import { EventEmitter } from 'node:events';
import { DigestAuthenticator } from './digest-auth';
import { newCallId, newTag } from './identifiers';
import type { SipLogger } from './logger';
import { Registration, type RegistrationState } from './registration';
import { RtpSession, type PortRange } from './rtp-session';
import type { G711Codec } from './sdp';
import { type DialOptions, SipCall } from './sip-call';
import { type SipMessage, type SipRequest, type SipResponse, buildResponse, escapeUser, parseCSeq, parseVia, tagOf } from './sip-message';
import { UdpSipTransport, resolveHost, routeSourceAddress } from './sip-transport';
import { DEFAULT_SIP_TIMERS, type Destination, type SipTimerConfig, TransactionLayer } from './transactions';

export interface SipUserAgentOptions {
  /** Address to bind SIP and RTP sockets to; 0.0.0.0 = all interfaces. */
  localAddress: string;
  /** SIP port; 0 = any free port. */
  localPort: number;
  /** Address for Contact and SDP when behind NAT; otherwise learned from the registrar or the route. */
  publicAddress?: string;
  server: { host: string; port: number };
  /** SIP domain (Request-URI host, From/To of REGISTER). */
  domain: string;
  username: string;
  password: string;
  /** Digest username when it differs from `username`. */
  authUsername?: string;
  /** From user of INVITE; default `username`. */
  callerId?: string;
  displayName?: string;
  register: boolean;
  registerExpiresSec: number;
  rtpPortRange: PortRange;
  /** Offered in this order. */
  codecs: G711Codec[];
  logger: SipLogger;
  /** Send silence in every 20 ms slot without audio once answered (default true). */
  rtpKeepAlive?: boolean;
  userAgent?: string;
  /** Phone number -> Request-URI user part (e.g. +79991234567 -> 79991234567); default as given. */
  formatNumber?: (number: string) => string;
  sipTimers?: Partial<SipTimerConfig>;
  /** How long close() waits for BYE/CANCEL answers and the unregister; default 3000 ms. */
  closeTimeoutMs?: number;
  /**
   * Send a CRLF keep-alive to the server this often (s) so a NAT keeps our SIP binding open
   * between REGISTER refreshes, and the trunk's BYE still reaches us; 0 = off. Default 25.
   */
  natKeepAliveSec?: number;
}

const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO, NOTIFY';
const DEFAULT_USER_AGENT = 'voice-caller-sip/0.1';

const isUnspecified = (address: string): boolean => address === '0.0.0.0' || address === '::';

export class SipUserAgent extends EventEmitter<{ registration: [RegistrationState, string?] }> {
  private transport?: UdpSipTransport;
  private transactions?: TransactionLayer;
  private registration?: Registration;
  private serverAddress?: Destination;
  private advertised = { host: '', port: 0, mediaAddress: '' };
  private readonly calls = new Map<string, SipCall>();
  private readonly authenticator: DigestAuthenticator;
  private readonly logger: SipLogger;
  private readonly timers: SipTimerConfig;
  private closing = false;
  private keepAliveTimer?: NodeJS.Timeout;

  constructor(private readonly options: SipUserAgentOptions) {
    super();
    this.logger = options.logger.child({ component: 'sip', server: `${options.server.host}:${options.server.port}` });
    this.authenticator = new DigestAuthenticator({ username: options.authUsername ?? options.username, password: options.password });
    this.timers = { ...DEFAULT_SIP_TIMERS, ...options.sipTimers };
    if (options.codecs.length === 0) throw new Error('at least one codec is required');
    if (options.rtpPortRange.min > options.rtpPortRange.max) throw new Error('rtpPortRange.min must not exceed max');
  }

  /** Binds the SIP socket, resolves the server, and registers when `register` is set. */
  async start(): Promise<void> {
    if (this.transport) return;
    const serverIp = await resolveHost(this.options.server.host);
    this.serverAddress = { address: serverIp, port: this.options.server.port };
    const transport = await UdpSipTransport.open({
      address: this.options.localAddress,
      port: this.options.localPort,
      logger: this.logger,
      onMessage: (message, source) => this.onMessage(message, source),
    });
    this.transport = transport;
    this.transactions = new TransactionLayer((message, destination) => this.send(message, destination), this.timers);
    const concrete = isUnspecified(this.options.localAddress)
      ? await routeSourceAddress(serverIp, this.options.server.port)
      : this.options.localAddress;
    const host = this.options.publicAddress ?? concrete;
    this.advertised = { host, port: transport.localPort, mediaAddress: host };
    this.logger.info({ local: `${transport.localAddress}:${transport.localPort}`, advertised: host }, 'sip user agent started');
    const keepAliveSec = this.options.natKeepAliveSec ?? 25;
    if (keepAliveSec > 0) {
      const crlf = Buffer.from('\r\n\r\n');
      const server = this.serverAddress;
      this.keepAliveTimer = setInterval(() => transport.sendBytes(crlf, server), keepAliveSec * 1000);
    }
    if (this.options.register) await this.register();
  }

  /** The SIP port we listen on (useful with localPort 0). */
  get localPort(): number {
    return this.advertised.port;
  }

  get registrationState(): RegistrationState {
    return this.registration?.state ?? 'unregistered';
  }

  /** REGISTER with digest auth; refreshed before expiry until close(). Resolves with the granted expiry (s). */
  async register(): Promise<number> {
    const transactions = this.requireStarted();
    if (!this.registration) {
      this.registration = new Registration({
        logger: this.logger,
        transactions,
        local: () => this.advertised,
        domain: this.options.domain,
        username: escapeUser(this.options.username),
        authenticator: this.authenticator,
        userAgent: this.options.userAgent ?? DEFAULT_USER_AGENT,
        expiresSec: this.options.registerExpiresSec,
        onResponse: (response) => this.learnPublicAddress(response),
      });
      this.registration.on('state', (state, detail) => this.emit('registration', state, detail));
    }
    return this.registration.register();
  }

  /** Places a call; follow it through the returned SipCall's events. */
  dial(options: DialOptions): SipCall {
    const transactions = this.requireStarted();
    if (this.closing) throw new Error('user agent is closing');
    const number = escapeUser(this.options.formatNumber ? this.options.formatNumber(options.number) : options.number);
    const call = new SipCall(
      {
        logger: this.logger,
        transactions,
        respond: (request, response, destination) => this.respond(request, response, destination),
        local: () => this.advertised,
        fromUri: `sip:${escapeUser(this.options.callerId ?? this.options.username)}@${this.options.domain}`,
        displayName: this.options.displayName,
        contactUser: escapeUser(this.options.username),
        domain: this.options.domain,
        userAgent: this.options.userAgent ?? DEFAULT_USER_AGENT,
        authenticator: this.authenticator,
        codecs: this.options.codecs,
        openRtp: () => RtpSession.open(this.options.localAddress, this.options.rtpPortRange, this.logger.child({ call_id: options.callId })),
        keepRtpAlive: this.options.rtpKeepAlive ?? true,
        onClosed: (closed) => {
          if (this.calls.get(closed.sipCallId) === closed) this.calls.delete(closed.sipCallId);
        },
      },
      { ...options, number },
      newCallId(this.advertised.host),
      newTag(),
    );
    this.calls.set(call.sipCallId, call);
    return call;
  }

  /** Calls in progress, by our product's call id. */
  findCall(callId: string): SipCall | undefined {
    for (const call of this.calls.values()) if (call.callId === callId) return call;
    return undefined;
  }

  /** Hangs up every call, removes the registration, closes the socket. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    clearInterval(this.keepAliveTimer);
    const waitMs = this.options.closeTimeoutMs ?? 3000;
    await Promise.all([...this.calls.values()].map((call) => call.shutdown(waitMs)));
    await this.registration?.unregister(waitMs);
    this.registration?.stop();
    this.transactions?.close();
    await this.transport?.close();
    this.transport = undefined;
    this.logger.info({}, 'sip user agent closed');
  }

  private requireStarted(): TransactionLayer {
    if (!this.transactions) throw new Error('SipUserAgent.start() has not completed');
    return this.transactions;
  }

  private send(message: SipMessage, destination?: Destination): void {
    const target = destination ?? this.serverAddress;
    if (!this.transport || !target) return;
    this.transport.send(message, target);
  }

  private respond(request: SipRequest, response: SipResponse, destination: Destination): void {
    this.transactions?.respond(request, response, destination);
  }

  private onMessage(message: SipMessage, source: Destination): void {
    const transactions = this.transactions;
    if (!transactions) return;
    if (message.kind === 'response') {
      if (transactions.receiveResponse(message)) return;
      const call = this.calls.get(message.headers.get('call-id') ?? '');
      if (call && message.status >= 200 && message.status < 300 && parseCSeq(message.headers.get('cseq'))?.method === 'INVITE') {
        call.handleStrayAnswer(message);
        return;
      }
      this.logger.debug({ status: message.status, call: message.headers.get('call-id') }, 'stray sip response ignored');
      return;
    }
    for (const name of ['via', 'from', 'to', 'call-id', 'cseq']) {
      if (!message.headers.has(name)) {
        this.logger.warn({ method: message.method, missing: name }, 'sip request without a mandatory header dropped');
        return;
      }
    }
    if (transactions.receiveRequest(message, source) === 'absorbed') return;
    const call = this.calls.get(message.headers.get('call-id') ?? '');
    const toTag = tagOf(message.headers.get('to'));
    if (message.method === 'ACK') {
      if (call && toTag === call.localTag) call.handleRequest(message, source);
      return; // never answered
    }
    if (toTag !== undefined) {
      if (call && toTag === call.localTag) call.handleRequest(message, source);
      else this.respond(message, buildResponse(message, 481), source);
      return;
    }
    this.handleOutOfDialog(message, source);
  }

  private handleOutOfDialog(request: SipRequest, source: Destination): void {
    const toTag = newTag();
    switch (request.method) {
      case 'OPTIONS': // keep-alive / capability probe from the trunk
        this.respond(request, buildResponse(request, 200, { toTag, headers: [['Allow', ALLOW], ['Accept', 'application/sdp']] }), source);
        return;
      case 'NOTIFY': // unsolicited message-waiting notices some PBXes send after REGISTER
        this.respond(request, buildResponse(request, 200, { toTag }), source);
        return;
      case 'INVITE': // we only place calls
        this.respond(request, buildResponse(request, 480, { toTag }), source);
        return;
      case 'CANCEL':
      case 'BYE':
        this.respond(request, buildResponse(request, 481, { toTag }), source);
        return;
      default:
        this.respond(request, buildResponse(request, 405, { toTag, headers: [['Allow', ALLOW]] }), source);
    }
  }

  /** Via received/rport in the registrar's answer: our address as the internet sees it (behind NAT). */
  private learnPublicAddress(response: SipResponse): void {
    if (this.options.publicAddress !== undefined) return;
    const top = response.headers.getAll('via')[0];
    if (top === undefined) return;
    let received: string | undefined;
    let rport: number | undefined;
    try {
      const via = parseVia(top);
      received = via.params.received;
      rport = via.params.rport !== undefined && via.params.rport !== '' ? Number(via.params.rport) : undefined;
    } catch {
      return;
    }
    if (received === undefined || isIP(received) === 0) return;
    const port = rport !== undefined && Number.isInteger(rport) ? rport : this.advertised.port;
    if (received === this.advertised.host && port === this.advertised.port) return;
    this.logger.info({ address: `${received}:${port}` }, 'sip public address learned from the registrar');
    this.advertised = { host: received, port, mediaAddress: received };
  }
}
