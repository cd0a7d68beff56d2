/**
 * A small multipart/form-data parser for the emulator's /v1/audio/transcriptions (the whole body is
 * already in memory). Handles what HTTP clients such as the OpenAI SDK's FormData send: CRLF line
 * breaks, `Content-Disposition: form-data; name="..."; filename="..."`, optional `Content-Type`.
 */

export interface MultipartPart {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
}

export class MultipartError extends Error {
  override name = 'MultipartError';
}

export function multipartBoundary(contentType: string): string | undefined {
  if (!/^multipart\/form-data\b/i.test(contentType.trim())) return undefined;
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');

export function parseMultipart(body: Buffer, boundary: string): MultipartPart[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: MultipartPart[] = [];
  let position = body.indexOf(delimiter);
  if (position < 0) throw new MultipartError('multipart body has no boundary');
  while (true) {
    position += delimiter.length;
    if (body[position] === 0x2d && body[position + 1] === 0x2d) return parts; // closing "--"
    // Rest of the delimiter line (transport padding), then CRLF.
    const lineEnd = body.indexOf(CRLF, position);
    if (lineEnd < 0) throw new MultipartError('truncated multipart body');
    const headersEnd = body.indexOf(HEADER_END, lineEnd);
    if (headersEnd < 0) throw new MultipartError('multipart part without header end');
    const headers = parseHeaders(body.subarray(lineEnd + 2, headersEnd).toString('utf8'));
    const contentStart = headersEnd + 4;
    const next = body.indexOf(Buffer.concat([CRLF, delimiter]), contentStart);
    if (next < 0) throw new MultipartError('multipart part without closing boundary');
    const disposition = headers.get('content-disposition') ?? '';
    const name = dispositionParam(disposition, 'name');
    if (name === undefined) throw new MultipartError('multipart part without a name');
    const filename = dispositionParam(disposition, 'filename');
    const contentType = headers.get('content-type');
    parts.push({
      name,
      ...(filename !== undefined ? { filename } : {}),
      ...(contentType !== undefined ? { contentType } : {}),
      data: body.subarray(contentStart, next),
    });
    position = next + 2;
  }
}

function parseHeaders(text: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

function dispositionParam(disposition: string, param: string): string | undefined {
  const match = new RegExp(`;\\s*${param}="((?:[^"\\\\]|\\\\.)*)"`, 'i').exec(disposition) ?? new RegExp(`;\\s*${param}=([^;\\s]+)`, 'i').exec(disposition);
  const raw = match?.[1];
  return raw === undefined ? undefined : raw.replace(/\\(.)/g, '$1');
}
