import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import type { Logger } from '../../logging/logger';
import type { SimulatedTelephonyConfig } from './callee-behaviours';
import { DialRequestSchema, HangUpRequestSchema, type SimulatedCallRecord } from './provider-api';
import { SimulatedTelephony } from './simulated-telephony';

export interface SimulatedProviderOptions {
  config: SimulatedTelephonyConfig;
  /** Sent with every webhook, as our service expects (TELEPHONY_WEBHOOK_SECRET). */
  webhookSecret: string;
  /** Required as `Authorization: Bearer …` when set (TELEPHONY_API_KEY). */
  apiKey?: string;
  logger: Logger;
  port?: number;
  host?: string;
}

export interface RunningSimulatedProvider {
  url: string;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 64 * 1024;

/**
 * The SIMULATED provider as a service of its own: virtual callees that ring, answer and talk over
 * the gateway's media WebSocket, reporting to the events URL named in each dial request. Run
 * apart from the service (npm run bench) so the callees' work is not counted as ours.
 */
export async function startSimulatedProvider(options: SimulatedProviderOptions): Promise<RunningSimulatedProvider> {
  const { logger } = options;
  const telephony = new SimulatedTelephony({
    eventsUrl: 'http://invalid.local/', // every dial request names its own
    webhookSecret: options.webhookSecret,
    config: options.config,
    logger,
    onCalleePhrase: async () => {
      throw new Error('the simulated provider process carries voice calls only');
    },
    voice: {
      mediaUrlFor: () => {
        throw new Error('every dial request names its media URL');
      },
      format: { encoding: 'mulaw', sampleRate: 8000 },
      wireEncoding: 'ULAW',
    },
  });

  const send = (res: ServerResponse, status: number, body: unknown) => {
    const payload = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload) });
    res.end(payload);
  };
  const fail = (res: ServerResponse, status: number, code: string, message: string) => send(res, status, { error: { code, message } });

  const authorized = (req: IncomingMessage): boolean => {
    if (!options.apiKey) return true;
    const presented = Buffer.from((req.headers.authorization ?? '').replace(/^Bearer /, ''));
    const expected = Buffer.from(options.apiKey);
    return presented.length === expected.length && timingSafeEqual(presented, expected);
  };

  const readJson = async (req: IncomingMessage): Promise<unknown> => {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) throw new SyntaxError('body too large');
      chunks.push(chunk as Buffer);
    }
    return chunks.length === 0 ? {} : (JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (!authorized(req)) return fail(res, 401, 'unauthorized', 'A valid Bearer API key is required');
    const path = new URL(req.url ?? '/', 'http://provider.local').pathname;
    const call = /^\/v1\/calls\/([0-9a-f-]{36})(\/hangup)?$/.exec(path);
    let body: unknown;
    try {
      body = req.method === 'POST' ? await readJson(req) : undefined;
    } catch {
      return fail(res, 400, 'invalid_json', 'The body is not valid JSON');
    }
    if (req.method === 'POST' && path === '/v1/calls') {
      const dial = DialRequestSchema.safeParse(body);
      if (!dial.success) return fail(res, 400, 'invalid_request', dial.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      const { call_id, phone, ring_timeout_sec, events_url, media_url } = dial.data;
      try {
        await telephony.initiateCall({ callId: call_id, phone, ringTimeoutSec: ring_timeout_sec }, { eventsUrl: events_url, mediaUrl: media_url });
      } catch (err) {
        return fail(res, 503, 'provider_unavailable', String(err instanceof Error ? err.message : err));
      }
      return send(res, 201, { call_id });
    }
    if (req.method === 'POST' && call?.[2]) {
      const hangUp = HangUpRequestSchema.safeParse(body);
      if (!hangUp.success) return fail(res, 400, 'invalid_request', 'Expected {"reason": "..."}');
      await telephony.hangUp(call[1]!, hangUp.data.reason);
      return send(res, 200, { call_id: call[1] });
    }
    if (req.method === 'GET' && call && !call[2]) {
      const conversation = telephony.conversationOf(call[1]!);
      if (!conversation) return fail(res, 404, 'not_found', `No call ${call[1]}`);
      const record: SimulatedCallRecord = {
        call_id: call[1]!,
        behaviour: conversation.behaviour,
        said: conversation.said,
        ended: conversation.ended,
        ear: conversation.line?.earReport() ?? null,
        hangup: conversation.hungUpMidReplyAtMs ? { reported_at_ms: conversation.hungUpMidReplyAtMs, last_voiced_at_ms: conversation.line?.lastVoicedAtMs ?? null } : null,
      };
      return send(res, 200, record);
    }
    return fail(res, 404, 'not_found', `No route ${req.method} ${path}`);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.error({ err: String(err) }, 'simulated provider request failed');
      if (!res.headersSent) fail(res, 500, 'internal', 'The simulated provider failed');
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host ?? '127.0.0.1'}:${port}`;
  logger.info({ url }, 'SIMULATED telephony provider listening (nothing is dialed for real)');
  return {
    url,
    close: async () => {
      await telephony.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
