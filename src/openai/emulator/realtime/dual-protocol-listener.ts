import type { Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';

/**
 * One port, two protocols: every accepted connection is peeked at, and a TLS ClientHello (first
 * byte 0x16, a TLS handshake record) goes through a TLS server, anything else straight to the HTTP
 * server. Both end up as connections of the same `http.Server`, so REST stays plain HTTP (as the
 * SDK's http:// baseURL asks) while the SDK's Realtime client, which always dials wss:// on that
 * same host and port, gets TLS.
 */

const TLS_HANDSHAKE_RECORD = 0x16;

export interface DualProtocolListener {
  port: number;
  /** Stops listening and destroys every connection (kept-alive, upgraded, or still being peeked at). */
  close(): Promise<void>;
}

export interface DualProtocolOptions {
  httpServer: HttpServer;
  tls: { cert: string; key: string };
  host: string;
  /** 0 for any free port. */
  port: number;
}

export async function listenDualProtocol(options: DualProtocolOptions): Promise<DualProtocolListener> {
  const { httpServer } = options;
  const sockets = new Set<Socket>();
  const tlsServer = createTlsServer({ cert: options.tls.cert, key: options.tls.key }, (secure) => {
    httpServer.emit('connection', secure);
  });
  // A failed handshake (e.g. a client that does not trust the certificate) is the client's problem.
  tlsServer.on('tlsClientError', (_err, socket) => socket.destroy());

  const netServer = createNetServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.once('data', (chunk: Buffer) => {
      // Put the peeked bytes back so whichever server takes the socket reads them first.
      socket.pause();
      socket.unshift(chunk);
      if (chunk[0] === TLS_HANDSHAKE_RECORD) tlsServer.emit('connection', socket);
      else httpServer.emit('connection', socket);
      process.nextTick(() => socket.resume());
    });
  });

  await new Promise<void>((resolve, reject) => {
    netServer.once('error', reject);
    netServer.listen(options.port, options.host, () => {
      netServer.off('error', reject);
      resolve();
    });
  });

  let closing: Promise<void> | undefined;
  return {
    port: (netServer.address() as AddressInfo).port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        netServer.close(() => resolve());
        tlsServer.close();
        for (const socket of sockets) socket.destroy();
        sockets.clear();
      });
      return closing;
    },
  };
}
