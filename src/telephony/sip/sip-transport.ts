/** SIP over UDP (RFC 3261 18): one socket, datagrams parsed into messages, malformed ones dropped. */
import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { SipLogger } from './logger';
import { type SipMessage, parseSipMessage, serializeSipMessage } from './sip-message';
import type { Destination } from './transactions';

export type MessageHandler = (message: SipMessage, source: Destination) => void;

export class UdpSipTransport {
  private constructor(
    private readonly socket: dgram.Socket,
    private readonly logger: SipLogger,
  ) {}

  static async open(options: { address: string; port: number; logger: SipLogger; onMessage: MessageHandler }): Promise<UdpSipTransport> {
    const socket = dgram.createSocket({ type: isIP(options.address) === 6 ? 'udp6' : 'udp4' });
    const transport = new UdpSipTransport(socket, options.logger);
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(options.port, options.address, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.on('error', (err) => options.logger.warn({ err }, 'sip socket error'));
    socket.on('message', (data, rinfo) => {
      // RFC 5626 keep-alives: a bare CRLF (or CRLFCRLF) datagram.
      if (data.length <= 4 && data.toString('latin1').trim() === '') return;
      let message: SipMessage;
      try {
        message = parseSipMessage(data);
      } catch (err) {
        options.logger.warn({ err, from: `${rinfo.address}:${rinfo.port}` }, 'malformed sip datagram dropped');
        return;
      }
      options.logger.debug({ from: `${rinfo.address}:${rinfo.port}`, sip: data.toString('utf8') }, 'sip in');
      options.onMessage(message, { address: rinfo.address, port: rinfo.port });
    });
    return transport;
  }

  get localPort(): number {
    return this.socket.address().port;
  }

  get localAddress(): string {
    return this.socket.address().address;
  }

  send(message: SipMessage, destination: Destination): void {
    const data = serializeSipMessage(message);
    this.logger.debug({ to: `${destination.address}:${destination.port}`, sip: data.toString('utf8') }, 'sip out');
    this.socket.send(data, destination.port, destination.address, (err) => {
      if (err) this.logger.warn({ err, to: `${destination.address}:${destination.port}` }, 'sip send failed');
    });
  }

  /** Raw bytes (RFC 5626 CRLF keep-alive). */
  sendBytes(data: Buffer, destination: Destination): void {
    this.socket.send(data, destination.port, destination.address, (err) => {
      if (err) this.logger.debug({ err }, 'sip keep-alive send failed');
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}

/** A-record lookup of the server (RFC 3263 NAPTR/SRV is not used: trunks publish the host and port). */
export async function resolveHost(host: string): Promise<string> {
  if (isIP(host) !== 0) return host;
  const { address } = await lookup(host, { family: 4 });
  return address;
}

/**
 * The local address the OS would use to reach `target` (a connected UDP socket sends nothing):
 * what to put in Via/Contact/SDP when we are bound to 0.0.0.0.
 */
export async function routeSourceAddress(target: string, port: number): Promise<string> {
  const socket = dgram.createSocket(isIP(target) === 6 ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(port, target, () => resolve());
    });
    return socket.address().address;
  } finally {
    socket.close();
  }
}
