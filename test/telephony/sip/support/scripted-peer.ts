/**
 * A UDP peer driven step by step from a test, for behaviour SIPp cannot stage (dropping
 * retransmissions on purpose, timing them, answering the same response twice).
 */
import dgram from 'node:dgram';
import {
  type SipMessage,
  type SipRequest,
  type SipResponse,
  buildResponse,
  parseSipMessage,
  serializeSipMessage,
} from '../../../../src/telephony/sip/sip-message';
import { PEER_ADDRESS } from './peers';

export interface Received {
  message: SipMessage;
  at: number;
  from: { address: string; port: number };
}

export class ScriptedPeer {
  readonly received: Received[] = [];
  /** CRLF keep-alive datagrams seen. */
  keepAlives = 0;
  private cursor = 0;
  private waiters: Array<() => void> = [];

  private constructor(private readonly socket: dgram.Socket) {
    socket.on('message', (data, rinfo) => {
      if (data.toString('latin1').trim() === '') {
        this.keepAlives++;
        return;
      }
      this.received.push({ message: parseSipMessage(data), at: performance.now(), from: { address: rinfo.address, port: rinfo.port } });
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  static async start(): Promise<ScriptedPeer> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, PEER_ADDRESS, () => resolve()));
    return new ScriptedPeer(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  /** The next message (after the last one returned) that matches; waits for it. */
  async next(match: (message: SipMessage) => boolean, what: string, timeoutMs = 5000): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.cursor < this.received.length) {
        const item = this.received[this.cursor++] as Received;
        if (match(item.message)) return item;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`scripted peer: no ${what} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async nextRequest(method: string, timeoutMs?: number): Promise<Received & { message: SipRequest }> {
    const item = await this.next((m) => m.kind === 'request' && m.method === method, method, timeoutMs);
    return item as Received & { message: SipRequest };
  }

  async nextResponse(status: number, timeoutMs?: number): Promise<Received & { message: SipResponse }> {
    const item = await this.next((m) => m.kind === 'response' && m.status === status, `${status} response`, timeoutMs);
    return item as Received & { message: SipResponse };
  }

  /** Everything received so far that matches (without moving the cursor). */
  all(match: (message: SipMessage) => boolean): Received[] {
    return this.received.filter((r) => match(r.message));
  }

  send(message: SipMessage, to: { address: string; port: number }): void {
    this.socket.send(serializeSipMessage(message), to.port, to.address);
  }

  reply(
    request: Received & { message: SipRequest },
    status: number,
    options: Parameters<typeof buildResponse>[2] = {},
  ): SipResponse {
    const response = buildResponse(request.message, status, options);
    this.send(response, request.from);
    return response;
  }

  close(): void {
    this.socket.close();
  }
}

export const answerSdp = (port: number, pt = 0): Buffer =>
  Buffer.from(
    `v=0\r\no=- 1 1 IN IP4 ${PEER_ADDRESS}\r\ns=-\r\nc=IN IP4 ${PEER_ADDRESS}\r\nt=0 0\r\nm=audio ${port} RTP/AVP ${pt}\r\na=sendrecv\r\n`,
  );
