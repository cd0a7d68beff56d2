import type http from 'node:http';
import { secretsMatch } from '../api/auth';

/** Helpers of the gateway's internal HTTP API (worker -> gateway, shared secret `X-Internal-Secret`). */
export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** False (and a 401 sent) when the request lacks the internal secret. */
export function authorizeInternal(req: http.IncomingMessage, res: http.ServerResponse, secret: string): boolean {
  if (secretsMatch(req.headers['x-internal-secret'] as string | undefined, secret)) return true;
  sendJson(res, 401, { error: { code: 'unauthorized', message: 'Missing or invalid X-Internal-Secret' } });
  return false;
}

/** The JSON body, or undefined (and a 400 sent) when it is not JSON. */
export async function readInternalJson(req: http.IncomingMessage, res: http.ServerResponse, expected: string): Promise<unknown> {
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    sendJson(res, 400, { error: { code: 'invalid_body', message: `Expected JSON ${expected}` } });
    return undefined;
  }
}
