/**
 * RFC 3261 section 17 transactions over UDP: client INVITE (timers A, B, D), client non-INVITE
 * (E, F, K), and the server side's answers to retransmitted requests (G, H, J).
 * 2xx to INVITE is passed to the call for ACKing (RFC 6026 "Accepted" state keeps matching
 * retransmitted 2xx for 64*T1 so each gets its ACK again).
 */
import { type SipMessage, type SipRequest, type SipResponse, SipHeaders, parseCSeq, topViaBranch } from './sip-message';

export interface SipTimerConfig {
  /** RTT estimate, 500 ms. */
  t1Ms: number;
  /** Longest retransmit interval for non-INVITE requests and INVITE responses, 4 s. */
  t2Ms: number;
  /** How long a message lingers in the network, 5 s. */
  t4Ms: number;
}

export const DEFAULT_SIP_TIMERS: SipTimerConfig = { t1Ms: 500, t2Ms: 4000, t4Ms: 5000 };

export interface ClientTransactionHandlers {
  /** Every response the TU must see: provisionals, the final one, and for INVITE retransmitted 2xx. */
  onResponse(response: SipResponse): void;
  /** Timer B / F fired: no final response. */
  onTimeout(): void;
}

type ClientState = 'calling' | 'trying' | 'proceeding' | 'completed' | 'accepted' | 'terminated';

const transactionKey = (branch: string, method: string): string => `${branch}|${method}`;

/** ACK for a non-2xx final response (RFC 3261 17.1.1.3): same branch, To from the response. */
export function buildNon2xxAck(invite: SipRequest, response: SipResponse): SipRequest {
  const headers = new SipHeaders();
  const topVia = invite.headers.getAll('via')[0];
  if (topVia !== undefined) headers.append('Via', topVia);
  headers.append('Max-Forwards', '70');
  headers.append('From', invite.headers.get('from') ?? '');
  headers.append('To', response.headers.get('to') ?? invite.headers.get('to') ?? '');
  headers.append('Call-ID', invite.headers.get('call-id') ?? '');
  headers.append('CSeq', `${parseCSeq(invite.headers.get('cseq'))?.seq ?? 1} ACK`);
  for (const route of invite.headers.getAll('route')) headers.append('Route', route);
  return { kind: 'request', method: 'ACK', uri: invite.uri, headers, body: Buffer.alloc(0) };
}

export class ClientTransaction {
  readonly key: string;
  private state: ClientState;
  private interval: number;
  private retransmitTimer?: NodeJS.Timeout;
  private lifetimeTimer?: NodeJS.Timeout;
  private ack?: SipRequest;
  private readonly isInvite: boolean;

  constructor(
    readonly request: SipRequest,
    private readonly send: (message: SipMessage) => void,
    private readonly timers: SipTimerConfig,
    private readonly handlers: ClientTransactionHandlers,
    private readonly onTerminated: (key: string) => void,
  ) {
    const branch = topViaBranch(request);
    if (branch === undefined) throw new Error('request without a Via branch');
    this.key = transactionKey(branch, request.method);
    this.isInvite = request.method === 'INVITE';
    this.state = this.isInvite ? 'calling' : 'trying';
    this.interval = timers.t1Ms;
  }

  start(): void {
    this.send(this.request);
    this.scheduleRetransmit();
    // Timer B / F: 64*T1 without a final response (INVITE: without any response).
    this.lifetimeTimer = setTimeout(() => this.timeout(), 64 * this.timers.t1Ms);
  }

  get finished(): boolean {
    return this.state === 'completed' || this.state === 'accepted' || this.state === 'terminated';
  }

  receive(response: SipResponse): void {
    if (this.state === 'terminated') return;
    if (this.isInvite) this.receiveInvite(response);
    else this.receiveNonInvite(response);
  }

  /** Stops all timers without telling anyone (UA shutdown). */
  dispose(): void {
    this.terminate();
  }

  private receiveInvite(response: SipResponse): void {
    const pending = this.state === 'calling' || this.state === 'proceeding';
    if (response.status < 200) {
      if (!pending) return;
      // Proceeding: timer A stops (the provisional proves the INVITE arrived); timer B no longer
      // applies, the TU's own ring timeout ends the wait.
      this.state = 'proceeding';
      this.clearTimers();
      this.handlers.onResponse(response);
    } else if (response.status < 300) {
      if (pending) {
        this.state = 'accepted';
        this.clearTimers();
        this.lifetimeTimer = setTimeout(() => this.terminate(), 64 * this.timers.t1Ms);
        this.handlers.onResponse(response);
      } else if (this.state === 'accepted') {
        this.handlers.onResponse(response); // retransmitted 2xx: the TU sends its ACK again
      }
    } else if (pending) {
      this.state = 'completed';
      this.clearTimers();
      this.ack = buildNon2xxAck(this.request, response);
      this.send(this.ack);
      // Timer D: absorb retransmissions of the final response, re-ACKing each.
      this.lifetimeTimer = setTimeout(() => this.terminate(), Math.max(32_000, 64 * this.timers.t1Ms));
      this.handlers.onResponse(response);
    } else if (this.state === 'completed' && this.ack) {
      this.send(this.ack);
    }
  }

  private receiveNonInvite(response: SipResponse): void {
    const pending = this.state === 'trying' || this.state === 'proceeding';
    if (!pending) return; // retransmitted final response: absorbed
    if (response.status < 200) {
      this.state = 'proceeding';
      this.handlers.onResponse(response);
      return;
    }
    this.state = 'completed';
    this.clearTimers();
    this.lifetimeTimer = setTimeout(() => this.terminate(), this.timers.t4Ms); // timer K
    this.handlers.onResponse(response);
  }

  private scheduleRetransmit(): void {
    this.retransmitTimer = setTimeout(() => {
      if (this.state !== 'calling' && this.state !== 'trying' && this.state !== 'proceeding') return;
      this.send(this.request);
      // Timer A doubles without bound; timer E doubles up to T2, and is T2 once a provisional came.
      this.interval = this.isInvite
        ? this.interval * 2
        : this.state === 'proceeding'
          ? this.timers.t2Ms
          : Math.min(this.interval * 2, this.timers.t2Ms);
      this.scheduleRetransmit();
    }, this.interval);
  }

  private timeout(): void {
    if (this.state === 'terminated') return;
    this.terminate();
    this.handlers.onTimeout();
  }

  private clearTimers(): void {
    clearTimeout(this.retransmitTimer);
    clearTimeout(this.lifetimeTimer);
    this.retransmitTimer = undefined;
    this.lifetimeTimer = undefined;
  }

  private terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.clearTimers();
    this.onTerminated(this.key);
  }
}

export interface Destination {
  address: string;
  port: number;
}

interface ServerEntry {
  response: SipResponse;
  destination: Destination;
  retransmitTimer?: NodeJS.Timeout;
  lifetimeTimer?: NodeJS.Timeout;
}

export type RequestDisposition =
  /** New request: the TU handles it. */
  | 'new'
  /** A retransmission we already answered (the answer was sent again) or an ACK that ended a retransmission. */
  | 'absorbed';

/**
 * Client transactions by branch + method, and the server side's memory of the answers we sent,
 * so a retransmitted request gets the same answer instead of being handled twice.
 */
export class TransactionLayer {
  private readonly clients = new Map<string, ClientTransaction>();
  private readonly served = new Map<string, ServerEntry>();
  /** INVITE answers awaiting ACK, by Call-ID + CSeq number (an ACK for 2xx has a new branch). */
  private readonly awaitingAck = new Map<string, string>();

  constructor(
    private readonly sendMessage: (message: SipMessage, destination?: Destination) => void,
    readonly timers: SipTimerConfig = DEFAULT_SIP_TIMERS,
  ) {}

  /** Starts a client transaction; its messages go to the default destination (the server). */
  request(request: SipRequest, handlers: ClientTransactionHandlers): ClientTransaction {
    const transaction = new ClientTransaction(
      request,
      (message) => this.sendMessage(message),
      this.timers,
      handlers,
      (key) => {
        if (this.clients.get(key) === transaction) this.clients.delete(key);
      },
    );
    this.clients.set(transaction.key, transaction);
    transaction.start();
    return transaction;
  }

  /** Sends without a transaction (ACK for 2xx is the TU's, RFC 3261 13.2.2.4). */
  sendRaw(message: SipMessage): void {
    this.sendMessage(message);
  }

  /** Routes a response to its transaction; false when none matches (a stray or late response). */
  receiveResponse(response: SipResponse): boolean {
    const branch = topViaBranch(response);
    const cseq = parseCSeq(response.headers.get('cseq'));
    if (branch === undefined || cseq === undefined) return false;
    const transaction = this.clients.get(transactionKey(branch, cseq.method));
    if (!transaction) return false;
    transaction.receive(response);
    return true;
  }

  /** Checks an incoming request against the answers we already sent. */
  receiveRequest(request: SipRequest, source: Destination): RequestDisposition {
    const key = serverKey(request);
    if (request.method === 'ACK') {
      // ACK for a non-2xx has the INVITE's branch; ACK for 2xx is matched by Call-ID and CSeq.
      const inviteKey = this.served.has(transactionKey(key.branch, 'INVITE'))
        ? transactionKey(key.branch, 'INVITE')
        : this.awaitingAck.get(key.dialogKey);
      if (inviteKey !== undefined) {
        const entry = this.served.get(inviteKey);
        if (entry) clearTimeout(entry.retransmitTimer);
        this.awaitingAck.delete(key.dialogKey);
      }
      return 'new'; // the TU may want the ACK (an answer in ACK after a delayed offer)
    }
    const entry = this.served.get(transactionKey(key.branch, request.method));
    if (!entry) return 'new';
    this.sendMessage(entry.response, source);
    return 'absorbed';
  }

  /** Sends a response and remembers it for retransmitted requests (timers G/H for INVITE, J otherwise). */
  respond(request: SipRequest, response: SipResponse, destination: Destination): void {
    const key = serverKey(request);
    const mapKey = transactionKey(key.branch, request.method);
    const previous = this.served.get(mapKey);
    if (previous) this.forget(mapKey, previous);
    const entry: ServerEntry = { response, destination };
    this.served.set(mapKey, entry);
    this.sendMessage(response, destination);
    const lifetime = 64 * this.timers.t1Ms;
    if (request.method === 'INVITE' && response.status >= 200) {
      this.awaitingAck.set(key.dialogKey, mapKey);
      let interval = this.timers.t1Ms;
      const retransmit = () => {
        entry.retransmitTimer = setTimeout(() => {
          this.sendMessage(response, destination);
          interval = Math.min(interval * 2, this.timers.t2Ms);
          retransmit();
        }, interval);
      };
      retransmit();
    }
    if (request.method !== 'INVITE' || response.status >= 200) {
      entry.lifetimeTimer = setTimeout(() => this.forget(mapKey, entry), lifetime);
    }
  }

  /** Stops every timer (UA shutdown). */
  close(): void {
    for (const transaction of [...this.clients.values()]) transaction.dispose();
    this.clients.clear();
    for (const [key, entry] of [...this.served]) this.forget(key, entry);
    this.awaitingAck.clear();
  }

  private forget(key: string, entry: ServerEntry): void {
    clearTimeout(entry.retransmitTimer);
    clearTimeout(entry.lifetimeTimer);
    if (this.served.get(key) === entry) this.served.delete(key);
    for (const [ackKey, value] of this.awaitingAck) if (value === key) this.awaitingAck.delete(ackKey);
  }
}

/** RFC 2543 peers send no magic-cookie branch: fall back to Call-ID + CSeq number + From tag. */
function serverKey(request: SipRequest): { branch: string; dialogKey: string } {
  const callId = request.headers.get('call-id') ?? '';
  const seq = parseCSeq(request.headers.get('cseq'))?.seq ?? 0;
  const dialogKey = `${callId}|${seq}`;
  const branch = topViaBranch(request);
  return {
    branch: branch !== undefined && branch.startsWith('z9hG4bK') ? branch : `${dialogKey}|${request.headers.get('from') ?? ''}`,
    dialogKey,
  };
}
