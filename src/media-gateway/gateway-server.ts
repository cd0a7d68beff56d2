import http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Logger } from '../logging/logger';
import { registry } from '../metrics/metrics';
import { verifyMediaToken } from './media-token';
import { codecFor, mediaDialects } from './codecs';
import { MediaSession, type MediaLeg } from './media-session';
import { CLOSE, type MediaCodec } from './protocol';

/** What the audio pipeline does with a call's media (the gateway only speaks the wire protocol). */
export interface MediaCallHandler {
  /** The provider declared the stream's format; audio may flow both ways from now on. */
  onStart(session: MediaLeg): void;
  /** One chunk of callee audio, still encoded as declared; `missingBefore` chunks were lost before it. */
  onAudio(session: MediaLeg, payload: Buffer, missingBefore: number): void;
  onStop(session: MediaLeg, reason: string): void;
}

export interface MediaGatewayOptions {
  /** True while the gateway drains (SIGTERM): /healthz answers 503 so a balancer sends no new calls. */
  draining?: () => boolean;
  host?: string;
  /** 0 = any free port. */
  port: number;
  tokenSecret: string;
  logger: Logger;
  handler: MediaCallHandler;
  /** Largest WebSocket message accepted (bytes). */
  maxMessageBytes?: number;
  /** Extra HTTP routes (internal control API); returns false when the request is not theirs. */
  httpRoutes?: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<boolean>;
}

export interface MediaGateway {
  url: string;
  port: number;
  /** Open sessions by call id. */
  sessions: Map<string, MediaSession>;
  close(): Promise<void>;
}

const PATH = /^\/telephony\/audio\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/**
 * The media gateway (its own process): providers connect to `/telephony/audio/{call_id}` with the
 * call's signed media token (`?token=` or `Authorization: Bearer`) and the media protocol they speak
 * (`?dialect=`, default `standard`; see `./codecs`). A connection without a valid token for that call,
 * or asking for a protocol we do not know, is refused before the WebSocket opens; a connection that
 * sends garbage is closed, and only that one.
 */
export async function startMediaGateway(options: MediaGatewayOptions): Promise<MediaGateway> {
  const { logger, handler } = options;
  const sessions = new Map<string, MediaSession>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxMessageBytes ?? 256 * 1024 });
  const server = http.createServer((req, res) => {
    void (async () => {
      if (req.url === '/metrics') {
        res.writeHead(200, { 'content-type': registry.contentType }).end(await registry.metrics());
        return;
      }
      if (req.url === '/healthz') {
        const draining = options.draining?.() ?? false;
        res.writeHead(draining ? 503 : 200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: draining ? 'draining' : 'ok', calls: sessions.size }));
        return;
      }
      if (options.httpRoutes && (await options.httpRoutes(req, res))) return;
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'not_found', message: 'No such route' } }));
    })().catch((err: unknown) => {
      logger.error({ err: String(err), url: req.url }, 'gateway http request failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'internal_error', message: 'Internal error' } }));
    });
  });

  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    // First of all: a client resetting its connection (ECONNRESET, EPIPE) must not become an
    // unhandled 'error' event, whatever happens below.
    const onSocketError = (err: Error) => logger.debug({ err: String(err) }, 'media upgrade socket error');
    socket.on('error', onSocketError);
    let callId: string | undefined;
    let handedOver = false;
    /** Answers with an HTTP error and drops the connection. */
    const refuse = (status: number, code: string, message: string) => {
      logger.warn({ call_id: callId, status, code }, 'media connection refused');
      if (socket.destroyed) return;
      const body = JSON.stringify({ error: { code, message } });
      socket.once('finish', () => socket.destroy());
      socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    };
    try {
      let url: URL;
      try {
        url = new URL(req.url ?? '/', 'http://gateway');
      } catch {
        return refuse(400, 'bad_request', 'Malformed request target');
      }
      callId = PATH.exec(url.pathname)?.[1];
      if (!callId) return refuse(404, 'not_found', 'Expected /telephony/audio/{call_id}');
      const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
      const check = verifyMediaToken(url.searchParams.get('token') ?? bearer, callId, options.tokenSecret);
      if (!check.ok) return refuse(401, 'invalid_media_token', `Media token ${check.reason.replace('_', ' ')}`);
      const dialect = url.searchParams.get('dialect');
      const codec = codecFor(dialect);
      if (!codec) return refuse(400, 'unknown_dialect', `Unknown media dialect ${JSON.stringify(String(dialect).slice(0, 40))}; known: ${mediaDialects().join(', ')}`);
      if (sessions.get(callId)?.open) return refuse(409, 'already_streaming', 'This call already has a media connection');
      const id = callId;
      handedOver = true; // from here on the socket is ws's (it answers bad handshakes itself)
      wss.handleUpgrade(req, socket, head, (ws) => {
        socket.off('error', onSocketError); // ws handles the socket's errors now
        accept(ws, id, codec);
      });
    } catch (err) {
      logger.error({ err: String(err), call_id: callId }, 'media upgrade failed');
      if (handedOver) socket.destroy();
      else refuse(400, 'bad_request', 'Could not handle the upgrade request');
    }
  });

  function accept(ws: WebSocket, callId: string, codec: MediaCodec): void {
    const session = new MediaSession(callId, ws, logger.child({ call_id: callId }), codec);
    sessions.set(callId, session);
    session.logger.info({ dialect: codec.name }, 'media connection opened');
    let stopped = false;
    const stop = (reason: string) => {
      if (stopped) return;
      stopped = true;
      if (sessions.get(callId) === session) sessions.delete(callId);
      if (session.format) handler.onStop(session, reason);
    };
    const reject = (code: number, reason: string) => {
      session.logger.warn({ reason }, 'media connection closed: bad data');
      session.close(code, reason);
      stop(`protocol error: ${reason}`);
    };

    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (stopped) return;
      try {
        const frame = codec.decode(data, isBinary);
        switch (frame.kind) {
          case 'error':
            return reject(frame.close, frame.reason);
          case 'ignored':
            return;
          case 'start':
            if (session.format) return reject(CLOSE.protocolError, 'second start');
            session.format = frame.format;
            session.customParameters = frame.customParameters;
            handler.onStart(session);
            return;
          case 'audio':
            if (!session.format) return reject(CLOSE.protocolError, isBinary ? 'binary audio before start' : 'media before start');
            handler.onAudio(session, frame.payload, session.noteInboundChunk(frame.chunk, frame.payload.length));
            return;
          case 'mark':
            return;
          case 'stop':
            stop('stream stopped by provider');
            session.close(CLOSE.normal, 'stopped');
            return;
        }
      } catch (err) {
        // A failure in the pipeline for this call must not take the gateway down.
        session.logger.error({ err: String(err) }, 'media handling failed');
        reject(CLOSE.invalidPayload, 'processing error');
      }
    });
    ws.on('close', () => stop('connection closed'));
    ws.on('error', (err) => {
      session.logger.warn({ err: String(err) }, 'media connection error');
      stop(`connection error: ${err.message}`);
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', resolve);
  });
  const port = (server.address() as { port: number }).port;
  const host = options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1';
  logger.info({ port }, 'media gateway listening');
  return {
    url: `ws://${host}:${port}`,
    port,
    sessions,
    close: async () => {
      for (const session of sessions.values()) session.close(1001, 'gateway shutting down');
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    },
  };
}
