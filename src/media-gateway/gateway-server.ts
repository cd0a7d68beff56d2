import http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Logger } from '../logging/logger';
import { registry } from '../metrics/metrics';
import { verifyMediaToken } from './media-token';
import { MediaSession, type MediaDialect, type MediaLeg } from './media-session';
import { CLOSE, InboundMessageSchema } from './protocol';

/** What the audio pipeline does with a call's media (the gateway only speaks the wire protocol). */
export interface MediaCallHandler {
  /** The provider declared the stream's format; audio may flow both ways from now on. */
  onStart(session: MediaLeg): void;
  /** One chunk of callee audio, still encoded as declared; `missingBefore` chunks were lost before it. */
  onAudio(session: MediaLeg, payload: Buffer, missingBefore: number): void;
  onStop(session: MediaLeg, reason: string): void;
}

export interface MediaGatewayOptions {
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
 * call's signed media token (`?token=` or `Authorization: Bearer`). A connection without a valid
 * token for that call is refused before the WebSocket opens; a connection that sends garbage is
 * closed, and only that one.
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
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', calls: sessions.size }));
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
    const url = new URL(req.url ?? '/', 'http://gateway');
    const callId = PATH.exec(url.pathname)?.[1];
    const refuse = (status: number, code: string, message: string) => {
      logger.warn({ call_id: callId, status, code }, 'media connection refused');
      const body = JSON.stringify({ error: { code, message } });
      socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    };
    if (!callId) return refuse(404, 'not_found', 'Expected /telephony/audio/{call_id}');
    const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const check = verifyMediaToken(url.searchParams.get('token') ?? bearer, callId, options.tokenSecret);
    if (!check.ok) return refuse(401, 'invalid_media_token', `Media token ${check.reason.replace('_', ' ')}`);
    if (sessions.get(callId)?.open) return refuse(409, 'already_streaming', 'This call already has a media connection');
    const dialect: MediaDialect = url.searchParams.get('dialect') === 'voximplant' ? 'voximplant' : 'standard';
    wss.handleUpgrade(req, socket, head, (ws) => accept(ws, callId, dialect));
  });

  function accept(ws: WebSocket, callId: string, dialect: MediaDialect): void {
    const session = new MediaSession(callId, ws, logger.child({ call_id: callId }), dialect);
    sessions.set(callId, session);
    session.logger.info({ dialect }, 'media connection opened');
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
        if (isBinary) {
          if (!session.format) return reject(CLOSE.protocolError, 'binary audio before start');
          const payload = Buffer.isBuffer(data) ? data : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]);
          handler.onAudio(session, payload, session.noteInboundChunk(undefined, payload.length));
          return;
        }
        let json: unknown;
        try {
          json = JSON.parse(data.toString());
        } catch {
          return reject(CLOSE.invalidPayload, 'not JSON');
        }
        const parsed = InboundMessageSchema.safeParse(json);
        if (!parsed.success) {
          // Provider extensions we do not use (e.g. Twilio `connected`, `dtmf`) are ignored, not fatal.
          const event = (json as { event?: unknown } | null)?.event;
          if (typeof event === 'string' && ['connected', 'dtmf', 'customEvent'].includes(event)) return;
          return reject(CLOSE.invalidPayload, `invalid message: ${parsed.error.issues[0]?.message ?? 'unknown'}`);
        }
        const message = parsed.data;
        switch (message.event) {
          case 'start':
            if (session.format) return reject(CLOSE.protocolError, 'second start');
            session.format = message.start.mediaFormat;
            session.customParameters = message.start.customParameters;
            handler.onStart(session);
            return;
          case 'media': {
            if (!session.format) return reject(CLOSE.protocolError, 'media before start');
            const payload = Buffer.from(message.media.payload, 'base64');
            handler.onAudio(session, payload, session.noteInboundChunk(message.media.chunk, payload.length));
            return;
          }
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
