/**
 * One outbound call: the INVITE (with digest retry), CANCEL on ring timeout or early hang-up, the
 * dialog once answered (ACK, BYE both ways, re-INVITE/UPDATE answered), and its RTP session.
 *
 * Progress is reported once per step as a `progress` event (and the same object under its own
 * name: `ringing`, `answered`, `busy`, `no_answer`, `error`, `hangup`). Exactly one of the last
 * four ends the call; `finished` resolves with it. SIP clean-up (487/ACK, BYE's 200) may still be
 * running then; `closed` resolves when it is done.
 */
import { EventEmitter } from 'node:events';
import { AUDIO_FORMATS, type SipAudioFormat, type SipCallEvent, type SipCallEvents, type SipCallOutcome, outcomeOfFailure } from './call-events';
import { challengeOf, type DigestAuthenticator } from './digest-auth';
import { Dialog } from './dialog';
import { newBranch, newSessionId } from './identifiers';
import type { SipLogger } from './logger';
import type { AudioHandler, RtpSession } from './rtp-session';
import { type G711Codec, type NegotiatedAudio, SdpError, buildSdpOffer, negotiateAudio, parseSdp } from './sdp';
import {
  type SipRequest,
  type SipResponse,
  SipHeaders,
  buildResponse,
  parseCSeq,
  tagOf,
} from './sip-message';
import type { ClientTransaction, Destination, TransactionLayer } from './transactions';

export type SipCallState = 'calling' | 'early' | 'confirmed' | 'terminated';

/** What the user agent lends each call. */
export interface CallContext {
  logger: SipLogger;
  transactions: TransactionLayer;
  respond(request: SipRequest, response: SipResponse, destination: Destination): void;
  /** Our advertised SIP address (Via, Contact) and media address (SDP). */
  local(): { host: string; port: number; mediaAddress: string };
  fromUri: string;
  displayName?: string;
  contactUser: string;
  domain: string;
  userAgent: string;
  authenticator: DigestAuthenticator;
  codecs: readonly G711Codec[];
  openRtp(): Promise<RtpSession>;
  keepRtpAlive: boolean;
  onClosed(call: SipCall): void;
}

export interface DialOptions {
  /** Our product's call id (logging, lookup); the SIP Call-ID is separate. */
  callId: string;
  /** User part of the Request-URI, e.g. 79991234567. */
  number: string;
  ringTimeoutSec: number;
}

const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO, NOTIFY';
export class SipCall extends EventEmitter<SipCallEvents> {
  readonly callId: string;
  readonly sipCallId: string;
  readonly finished: Promise<SipCallOutcome>;
  readonly closed: Promise<void>;
  format?: SipAudioFormat;
  state: SipCallState = 'calling';

  private readonly logger: SipLogger;
  readonly localTag: string;
  private readonly requestUri: string;
  private readonly fromHeader: string;
  private localCseq = 0;
  private invite?: SipRequest;
  private inviteTx?: ClientTransaction;
  private authRetries = 0;
  private lastNonce?: string;
  private rtp?: RtpSession;
  private readonly pendingAudio: AudioHandler[] = [];
  private ringTimer?: NodeJS.Timeout;
  private cancelGuard?: NodeJS.Timeout;
  private cancelWanted = false;
  private cancelSent = false;
  private provisionalReceived = false;
  private ringingReported = false;
  private outcome?: SipCallOutcome;
  private resolveFinished!: (outcome: SipCallOutcome) => void;
  private resolveClosed!: () => void;
  private isClosed = false;
  private dialog?: Dialog;
  private ack?: SipRequest;
  private byeSent = false;
  private readonly sessionId = newSessionId();
  private sessionVersion = 1;
  private media?: NegotiatedAudio;

  constructor(
    private readonly ctx: CallContext,
    options: DialOptions,
    sipCallId: string,
    localTag: string,
  ) {
    super();
    this.callId = options.callId;
    this.sipCallId = sipCallId;
    this.localTag = localTag;
    this.logger = ctx.logger.child({ call_id: options.callId, sip_call_id: sipCallId });
    this.requestUri = `sip:${options.number}@${ctx.domain}`;
    const display = ctx.displayName !== undefined ? `"${ctx.displayName}" ` : '';
    this.fromHeader = `${display}<${ctx.fromUri}>;tag=${localTag}`;
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    void this.start(options.ringTimeoutSec);
  }

  /** Incoming RTP payloads in `format` once answered; missingBefore counts packets lost just before. */
  onAudio(handler: AudioHandler): () => void {
    if (this.rtp) return this.rtp.onAudio(handler);
    this.pendingAudio.push(handler);
    return () => {
      const i = this.pendingAudio.indexOf(handler);
      if (i >= 0) this.pendingAudio.splice(i, 1);
    };
  }

  /** Sends one frame (160 bytes = 20 ms of G.711) as one RTP packet; false before answer or after the end. */
  sendFrame(payload: Buffer): boolean {
    if (this.state !== 'confirmed' || this.outcome) return false;
    return this.rtp?.sendFrame(payload) ?? false;
  }

  rtpStats(): ReturnType<RtpSession['stats']> | undefined {
    return this.rtp?.stats();
  }

  /** BYE once answered, CANCEL before; resolves when the SIP side is done. */
  hangUp(reason = 'local hang-up'): Promise<void> {
    if (this.outcome || this.isClosed) return this.closed;
    if (this.state === 'confirmed') {
      this.settle({ type: 'hangup', by: 'local', reason });
      this.sendBye();
    } else {
      this.settle({ type: 'hangup', by: 'local', reason: `${reason} (before answer)` });
      this.cancel();
    }
    return this.closed;
  }

  /** An in-dialog request routed here by Call-ID (the UA has checked the To tag is ours). */
  handleRequest(request: SipRequest, source: Destination): void {
    const fromTag = tagOf(request.headers.get('from'));
    if (request.method === 'ACK') {
      this.handleAck(request);
      return;
    }
    if (!this.dialog || fromTag !== this.dialog.remoteTag || this.isClosed) {
      this.ctx.respond(request, buildResponse(request, 481), source);
      return;
    }
    switch (request.method) {
      case 'BYE':
        this.ctx.respond(request, buildResponse(request, 200), source);
        if (!this.outcome) this.settle({ type: 'hangup', by: 'remote', reason: 'remote hang-up (BYE)' });
        this.close();
        return;
      case 'INVITE':
      case 'UPDATE':
        this.handleOffer(request, source);
        return;
      case 'OPTIONS':
      case 'INFO':
      case 'NOTIFY':
        this.ctx.respond(request, buildResponse(request, 200, { headers: [['Allow', ALLOW]] }), source);
        return;
      default:
        this.ctx.respond(request, buildResponse(request, 405, { headers: [['Allow', ALLOW]] }), source);
    }
  }

  /** A 2xx that matched no transaction (its INVITE transaction is gone): ACK it again. */
  handleStrayAnswer(response: SipResponse): void {
    if (this.invite) this.on2xx(this.invite, response);
  }

  /** UA shutdown: hang up and wait for the SIP side to finish, at most `maxWaitMs`. */
  async shutdown(maxWaitMs: number): Promise<void> {
    void this.hangUp('user agent closing');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, maxWaitMs)))]);
    clearTimeout(timer);
    this.close();
  }

  private async start(ringTimeoutSec: number): Promise<void> {
    try {
      this.rtp = await this.ctx.openRtp();
    } catch (err) {
      this.logger.error({ err }, 'no RTP socket for the call');
      this.settle({ type: 'error', reason: `no RTP port: ${(err as Error).message}` });
      this.close();
      return;
    }
    for (const handler of this.pendingAudio.splice(0)) this.rtp.onAudio(handler);
    if (this.outcome) {
      this.close(); // hung up before the INVITE went out
      return;
    }
    this.ringTimer = setTimeout(() => {
      if (this.outcome || this.state === 'confirmed') return;
      this.settle({ type: 'no_answer', reason: `ring timeout after ${ringTimeoutSec} s` });
      this.cancel();
    }, ringTimeoutSec * 1000);
    this.sendInvite();
  }

  private sendInvite(auth?: { header: string; value: string }): void {
    const local = this.ctx.local();
    const rtp = this.rtp;
    if (!rtp) return;
    const sdp = buildSdpOffer({
      address: local.mediaAddress,
      port: rtp.localPort,
      codecs: this.ctx.codecs,
      sessionId: this.sessionId,
      sessionVersion: this.sessionVersion,
    });
    const headers = new SipHeaders([
      ['Via', this.via()],
      ['Max-Forwards', '70'],
      ['From', this.fromHeader],
      ['To', `<${this.requestUri}>`],
      ['Call-ID', this.sipCallId],
      ['CSeq', `${++this.localCseq} INVITE`],
      ['Contact', this.contact()],
      ['Allow', ALLOW],
      ['User-Agent', this.ctx.userAgent],
      ['Content-Type', 'application/sdp'],
    ]);
    if (auth) headers.append(auth.header, auth.value);
    const invite: SipRequest = { kind: 'request', method: 'INVITE', uri: this.requestUri, headers, body: Buffer.from(sdp) };
    this.invite = invite;
    this.logger.info({ uri: this.requestUri, rtp_port: rtp.localPort, authenticated: auth !== undefined }, 'sip invite');
    this.inviteTx = this.ctx.transactions.request(invite, {
      onResponse: (response) => this.onInviteResponse(invite, response),
      onTimeout: () => {
        if (invite !== this.invite) return;
        this.settle({ type: 'error', status: 408, reason: '408 Request Timeout (no response to INVITE)' });
        this.close();
      },
    });
  }

  private onInviteResponse(invite: SipRequest, response: SipResponse): void {
    const { status } = response;
    const label = `${status} ${response.reason}`.trim();
    if (status >= 200 && status < 300) {
      this.on2xx(invite, response);
      return;
    }
    if (invite !== this.invite) return; // a late answer to an INVITE we already replaced
    if (status < 200) {
      this.provisionalReceived = true;
      if (status > 100 && this.state === 'calling') this.state = 'early';
      if (status > 100 && !this.ringingReported && !this.outcome) {
        this.ringingReported = true;
        this.emitEvent({ type: 'ringing', status, reason: label });
      }
      if (this.cancelWanted && !this.cancelSent) this.sendCancel();
      return;
    }
    this.logger.info({ status, reason: response.reason }, 'sip invite failed');
    if ((status === 401 || status === 407) && !this.cancelWanted && this.retryWithAuth(status, response)) return;
    this.settle(outcomeOfFailure(status, label));
    this.close();
  }

  /** New INVITE (new CSeq, same Call-ID and tag) answering the challenge; false when we must give up. */
  private retryWithAuth(status: number, response: SipResponse): boolean {
    const found = challengeOf(status, (name) => response.headers.getAll(name));
    if (!found) return false;
    // Challenged again for the same nonce: the credentials are wrong (a stale nonce is not).
    if (this.authRetries >= 2) return false;
    if (this.authRetries > 0 && !found.challenge.stale && found.challenge.nonce === this.lastNonce) return false;
    this.authRetries++;
    this.lastNonce = found.challenge.nonce;
    const value = this.ctx.authenticator.authorize(found.challenge, 'INVITE', this.requestUri);
    this.sendInvite({ header: found.header, value });
    return true;
  }

  private on2xx(invite: SipRequest, response: SipResponse): void {
    if (this.dialog) {
      if (this.dialog.owns(response) && this.ack) this.ctx.transactions.sendRaw(this.ack); // retransmitted 2xx
      else this.ackAndByeFork(invite, response);
      return;
    }
    this.dialog = new Dialog(invite, response);
    this.ack = this.dialog.ack(this.via());
    this.ctx.transactions.sendRaw(this.ack);
    this.clearRingTimer();

    if (this.outcome) {
      // 200 crossed our CANCEL (or the ring timeout): the call is over for us, end the dialog.
      this.state = 'confirmed';
      this.sendBye();
      return;
    }
    let media: NegotiatedAudio;
    try {
      media = negotiateAudio(parseSdp(response.body.toString('utf8')), this.ctx.codecs);
    } catch (err) {
      const reason = err instanceof SdpError ? err.message : String(err);
      this.state = 'confirmed';
      this.settle({ type: 'error', status: 488, reason: `488 Not Acceptable Here (${reason})` });
      this.sendBye();
      return;
    }
    this.applyMedia(media);
    this.state = 'confirmed';
    this.format = AUDIO_FORMATS[media.codec];
    if (this.ctx.keepRtpAlive) this.rtp?.startSilenceKeeper();
    this.logger.info({ codec: media.codec, remote_rtp: `${media.address}:${media.port}` }, 'sip call answered');
    this.emitEvent({ type: 'answered', format: this.format });
  }

  private applyMedia(media: NegotiatedAudio): void {
    this.media = media;
    this.rtp?.setRemote({
      address: media.address,
      port: media.port,
      codec: media.codec,
      payloadType: media.payloadType,
      receivePayloadTypes: media.receivePayloadTypes,
      send: media.address !== '0.0.0.0' && (media.direction === 'sendrecv' || media.direction === 'recvonly'),
    });
  }

  /** A second 2xx with another To tag (a forked INVITE answered twice): confirm it and end it at once. */
  private ackAndByeFork(invite: SipRequest, response: SipResponse): void {
    const fork = new Dialog(invite, response);
    const seq = parseCSeq(invite.headers.get('cseq'))?.seq ?? this.localCseq;
    this.ctx.transactions.sendRaw(fork.ack(this.via()));
    this.ctx.transactions.request(fork.request('BYE', seq + 1, this.via(), this.ctx.userAgent), { onResponse: () => {}, onTimeout: () => {} });
  }

  private cancel(): void {
    this.cancelWanted = true;
    this.clearRingTimer();
    // RFC 3261 9.1: CANCEL only once a provisional response (100 Trying counts) came; otherwise wait for one.
    if (this.provisionalReceived && !this.cancelSent) this.sendCancel();
    if (this.cancelGuard === undefined) {
      // No final response within 64*T1 after CANCEL: consider the INVITE gone (RFC 3261 9.1).
      this.cancelGuard = setTimeout(() => this.close(), 64 * this.ctx.transactions.timers.t1Ms);
    }
  }

  /** CANCEL matching the INVITE: same Request-URI, top Via, Call-ID, From, To, CSeq number, Route. */
  private sendCancel(): void {
    const invite = this.invite;
    if (!invite || this.inviteTx?.finished) return;
    this.cancelSent = true;
    const headers = new SipHeaders([
      ['Via', invite.headers.getAll('via')[0] ?? ''],
      ['Max-Forwards', '70'],
      ['From', invite.headers.get('from') ?? ''],
      ['To', invite.headers.get('to') ?? ''],
      ['Call-ID', this.sipCallId],
      ['CSeq', `${parseCSeq(invite.headers.get('cseq'))?.seq ?? this.localCseq} CANCEL`],
    ]);
    for (const route of invite.headers.getAll('route')) headers.append('Route', route);
    headers.append('User-Agent', this.ctx.userAgent);
    this.logger.info({}, 'sip cancel');
    this.ctx.transactions.request(
      { kind: 'request', method: 'CANCEL', uri: invite.uri, headers, body: Buffer.alloc(0) },
      { onResponse: () => {}, onTimeout: () => {} },
    );
  }

  private sendBye(): void {
    if (this.byeSent || this.isClosed) return;
    this.byeSent = true;
    this.rtp?.stopSilenceKeeper();
    const send = (auth?: { header: string; value: string }, retried = false): void => {
      if (!this.dialog) return;
      const bye = this.dialog.request('BYE', ++this.localCseq, this.via(), this.ctx.userAgent);
      if (auth) bye.headers.append(auth.header, auth.value);
      this.logger.info({}, 'sip bye');
      this.ctx.transactions.request(bye, {
        onResponse: (response) => {
          if (response.status < 200) return;
          if ((response.status === 401 || response.status === 407) && !retried) {
            const found = challengeOf(response.status, (name) => response.headers.getAll(name));
            if (found) {
              send({ header: found.header, value: this.ctx.authenticator.authorize(found.challenge, 'BYE', bye.uri) }, true);
              return;
            }
          }
          this.close();
        },
        onTimeout: () => this.close(),
      });
    };
    send();
  }

  private via(): string {
    const local = this.ctx.local();
    return `SIP/2.0/UDP ${local.host}:${local.port};rport;branch=${newBranch()}`;
  }

  /** re-INVITE or UPDATE (session refresh, hold, media move): accept what we can, answer with our SDP. */
  private handleOffer(request: SipRequest, source: Destination): void {
    if (request.body.length > 0) {
      try {
        const media = negotiateAudio(parseSdp(request.body.toString('utf8')), this.ctx.codecs, this.media?.codec);
        if (this.media && media.codec !== this.media.codec) {
          // We keep the codec the pipeline was told about; refuse a switch rather than garble audio.
          this.ctx.respond(request, buildResponse(request, 488), source);
          return;
        }
        const changed = !this.media || media.address !== this.media.address || media.port !== this.media.port || media.direction !== this.media.direction;
        if (changed) this.sessionVersion++;
        this.applyMedia(media);
      } catch (err) {
        this.logger.warn({ err }, 'unusable SDP offer in dialog');
        this.ctx.respond(request, buildResponse(request, 488), source);
        return;
      }
    }
    const rtp = this.rtp;
    const local = this.ctx.local();
    const codec = this.media?.codec ?? this.ctx.codecs[0] ?? 'PCMU';
    // An answer lists only what the offer had (RFC 3264 6): our codec, and DTMF under its number if offered.
    const isAnswer = request.body.length > 0;
    const body = rtp
      ? Buffer.from(
          buildSdpOffer({
            address: local.mediaAddress,
            port: rtp.localPort,
            codecs: isAnswer ? [codec] : this.ctx.codecs,
            sessionId: this.sessionId,
            sessionVersion: this.sessionVersion,
            telephoneEventPt: isAnswer ? (this.media?.telephoneEventPt ?? null) : undefined,
          }),
        )
      : Buffer.alloc(0);
    this.ctx.respond(
      request,
      buildResponse(request, 200, {
        headers: [
          ['Contact', this.contact()],
          ['Allow', ALLOW],
          ['Content-Type', 'application/sdp'],
        ],
        body,
      }),
      source,
    );
  }

  /** ACK for our 2xx to a re-INVITE; it carries the answer when the re-INVITE had no offer. */
  private handleAck(request: SipRequest): void {
    if (request.body.length === 0) return;
    try {
      this.applyMedia(negotiateAudio(parseSdp(request.body.toString('utf8')), this.ctx.codecs, this.media?.codec));
    } catch (err) {
      this.logger.warn({ err }, 'unusable SDP in ACK');
    }
  }

  private contact(): string {
    const local = this.ctx.local();
    return `<sip:${this.ctx.contactUser}@${local.host}:${local.port}>`;
  }

  private settle(outcome: SipCallOutcome): void {
    if (this.outcome) return;
    this.outcome = outcome;
    this.clearRingTimer();
    this.rtp?.stopSilenceKeeper();
    this.logger.info({ outcome: outcome.type, reason: outcome.reason }, 'sip call ended');
    this.emitEvent(outcome);
    this.resolveFinished(outcome);
  }

  private emitEvent(event: SipCallEvent): void {
    this.emit('progress', event);
    switch (event.type) {
      case 'ringing':
        this.emit('ringing', event);
        break;
      case 'answered':
        this.emit('answered', event);
        break;
      case 'busy':
        this.emit('busy', event);
        break;
      case 'no_answer':
        this.emit('no_answer', event);
        break;
      case 'error':
        if (this.listenerCount('error') > 0) this.emit('error', event);
        break;
      case 'hangup':
        this.emit('hangup', event);
        break;
    }
  }

  private clearRingTimer(): void {
    clearTimeout(this.ringTimer);
    this.ringTimer = undefined;
  }

  /** Frees the call's resources; the INVITE transaction may linger to re-ACK retransmitted answers. */
  private close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    if (!this.outcome) this.settle({ type: 'error', reason: 'call closed' });
    this.state = 'terminated';
    this.clearRingTimer();
    clearTimeout(this.cancelGuard);
    this.rtp?.close();
    this.ctx.onClosed(this);
    this.resolveClosed();
  }
}
