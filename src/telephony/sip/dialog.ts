/**
 * The dialog a 2xx to our INVITE creates (RFC 3261 12.1.2): remote tag, remote target from the
 * Contact, route set from Record-Route; and the requests we send inside it (12.2.1.1).
 */
import { type SipRequest, type SipResponse, SipHeaders, parseCSeq, parseNameAddr, tagOf } from './sip-message';

export class Dialog {
  readonly remoteTag?: string;
  readonly remoteTarget: string;
  private readonly toHeader: string;
  private readonly routeSet: string[];

  constructor(
    private readonly invite: SipRequest,
    response: SipResponse,
  ) {
    this.toHeader = response.headers.get('to') ?? invite.headers.get('to') ?? '';
    this.remoteTag = tagOf(this.toHeader);
    const contact = response.headers.getAll('contact')[0];
    this.remoteTarget = contact !== undefined ? parseNameAddr(contact).uri : invite.uri;
    this.routeSet = response.headers.getAll('record-route').reverse();
  }

  /** Whether a 2xx belongs to this dialog (a forked INVITE may be answered by another callee too). */
  owns(response: SipResponse): boolean {
    return tagOf(response.headers.get('to')) === this.remoteTag;
  }

  /** A request in the dialog; a strict router (no ;lr) takes the Request-URI and the target goes last. */
  request(method: string, seq: number, via: string, userAgent?: string): SipRequest {
    let uri = this.remoteTarget;
    let routes = [...this.routeSet];
    const first = routes[0];
    if (first !== undefined && parseNameAddr(first).uri.toLowerCase().indexOf(';lr') < 0) {
      uri = parseNameAddr(first).uri;
      routes = [...routes.slice(1), `<${this.remoteTarget}>`];
    }
    const headers = new SipHeaders([
      ['Via', via],
      ['Max-Forwards', '70'],
      ['From', this.invite.headers.get('from') ?? ''],
      ['To', this.toHeader],
      ['Call-ID', this.invite.headers.get('call-id') ?? ''],
      ['CSeq', `${seq} ${method}`],
    ]);
    for (const route of routes) headers.append('Route', route);
    if (userAgent !== undefined) headers.append('User-Agent', userAgent);
    return { kind: 'request', method, uri, headers, body: Buffer.alloc(0) };
  }

  /** ACK for the 2xx (RFC 3261 13.2.2.4): the INVITE's CSeq number, new branch, the INVITE's credentials. */
  ack(via: string): SipRequest {
    const request = this.request('ACK', parseCSeq(this.invite.headers.get('cseq'))?.seq ?? 1, via);
    for (const name of ['Authorization', 'Proxy-Authorization']) {
      const value = this.invite.headers.get(name);
      if (value !== undefined) request.headers.append(name, value);
    }
    return request;
  }
}
