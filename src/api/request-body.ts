import type { Context } from 'koa';
import type { z } from 'zod';
import { ApiError } from './errors';

/** Reads a JSON body with a size limit: 413 when too large, 400 `invalid_body` when not JSON. */
export async function readJsonBody(ctx: Context, maxBytes: number): Promise<unknown> {
  const type = ctx.request.type;
  if (type !== 'application/json') {
    throw new ApiError(400, 'invalid_body', 'Content-Type must be application/json');
  }
  const declared = Number(ctx.get('content-length') || 0);
  if (declared > maxBytes) throw new ApiError(413, 'payload_too_large', `Body exceeds ${maxBytes} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      ctx.set('Connection', 'close');
      throw new ApiError(413, 'payload_too_large', `Body exceeds ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new ApiError(400, 'invalid_body', 'Request body is empty; expected a JSON object');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ApiError(400, 'invalid_body', 'Request body is not valid JSON');
  }
}

/** zod issues as `[{path, message}]` for error details. */
export function describeIssues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((issue) => ({ path: issue.path.join('.') || '(body)', message: issue.message }));
}
