/**
 * SIP messages (RFC 3261 section 7): parse from / serialise to UDP datagrams, plus the header
 * grammar pieces the user agent needs (name-addr with tag, Via, CSeq, comma-separated lists).
 */

export interface SipRequest {
  kind: 'request';
  method: string;
  uri: string;
  headers: SipHeaders;
  body: Buffer;
}

export interface SipResponse {
  kind: 'response';
  status: number;
  reason: string;
  headers: SipHeaders;
  body: Buffer;
}

export type SipMessage = SipRequest | SipResponse;

/** RFC 3261 7.3.3 compact forms, so `v:` and `Via:` are the same header. */
const COMPACT_FORMS: Record<string, string> = {
  i: 'call-id',
  m: 'contact',
  e: 'content-encoding',
  l: 'content-length',
  c: 'content-type',
  f: 'from',
  s: 'subject',
  k: 'supported',
  t: 'to',
  v: 'via',
  o: 'event',
  r: 'refer-to',
  u: 'allow-events',
};

/** Headers whose value may be a comma-separated list (RFC 3261 7.3.1); others may contain commas. */
const LIST_HEADERS = new Set(['via', 'route', 'record-route', 'contact', 'allow', 'supported', 'require']);

const canonical = (name: string): string => {
  const lower = name.trim().toLowerCase();
  return COMPACT_FORMS[lower] ?? lower;
};

/** Ordered, case-insensitive header list (order matters for Via and Record-Route). */
export class SipHeaders {
  private readonly entries: Array<{ name: string; value: string }> = [];

  constructor(init: ReadonlyArray<readonly [string, string]> = []) {
    for (const [name, value] of init) this.append(name, value);
  }

  append(name: string, value: string): this {
    this.entries.push({ name, value });
    return this;
  }

  set(name: string, value: string): this {
    this.delete(name);
    return this.append(name, value);
  }

  delete(name: string): this {
    const key = canonical(name);
    for (let i = this.entries.length - 1; i >= 0; i--) {
      if (canonical(this.entries[i]?.name ?? '') === key) this.entries.splice(i, 1);
    }
    return this;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** First value of the header as written (a list header's first line may still hold several values). */
  get(name: string): string | undefined {
    const key = canonical(name);
    return this.entries.find((e) => canonical(e.name) === key)?.value;
  }

  /** Every value, list headers split at top-level commas: `getAll('via')[0]` is the top Via. */
  getAll(name: string): string[] {
    const key = canonical(name);
    const values = this.entries.filter((e) => canonical(e.name) === key).map((e) => e.value);
    return LIST_HEADERS.has(key) ? values.flatMap(splitList) : values;
  }

  /** Appends a folded continuation line to the last header. */
  continueLast(text: string): boolean {
    const last = this.entries.at(-1);
    if (!last) return false;
    last.value += ` ${text}`;
    return true;
  }

  list(): ReadonlyArray<{ readonly name: string; readonly value: string }> {
    return this.entries;
  }

  clone(): SipHeaders {
    return new SipHeaders(this.entries.map((e) => [e.name, e.value] as const));
  }
}

/** Splits at commas outside quotes and angle brackets (`"a, b" <sip:x>, <sip:y>` is two values). */
export function splitList(value: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (quoted) {
      if (ch === '\\') i++;
      else if (ch === '"') quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === '<') depth++;
    else if (ch === '>') depth = Math.max(0, depth - 1);
    else if (ch === ',' && depth === 0) {
      parts.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(value.slice(start).trim());
  return parts.filter((p) => p.length > 0);
}

export class SipParseError extends Error {}

const SIP_VERSION = 'SIP/2.0';

/**
 * Parses one datagram. The body length comes from Content-Length when present (RFC 3261 18.3: a
 * datagram with fewer body bytes than announced is malformed, extra bytes are ignored).
 */
export function parseSipMessage(data: Buffer): SipMessage {
  let headerEnd = data.indexOf('\r\n\r\n');
  let separator = 4;
  if (headerEnd < 0) {
    headerEnd = data.indexOf('\n\n'); // tolerate bare LF from sloppy peers
    separator = 2;
  }
  if (headerEnd < 0) throw new SipParseError('no end of headers');
  const head = data.subarray(0, headerEnd).toString('utf8').replace(/^(\r?\n)+/, '');
  const lines = head.split(/\r?\n/);
  const startLine = lines.shift() ?? '';

  const headers = new SipHeaders();
  for (const line of lines) {
    if (/^[ \t]/.test(line)) {
      // Folded continuation line (RFC 3261 7.3.1): belongs to the previous header.
      if (!headers.continueLast(line.trim())) throw new SipParseError('continuation line before any header');
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new SipParseError(`malformed header line: ${JSON.stringify(line)}`);
    headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }

  const rest = data.subarray(headerEnd + separator);
  const lengthHeader = headers.get('content-length');
  let body = rest;
  if (lengthHeader !== undefined) {
    const length = Number(lengthHeader);
    if (!Number.isInteger(length) || length < 0) throw new SipParseError(`bad Content-Length ${lengthHeader}`);
    if (length > rest.length) throw new SipParseError(`truncated body: ${rest.length} of ${length} bytes`);
    body = rest.subarray(0, length);
  }

  const responseMatch = /^SIP\/2\.0\s+(\d{3})\s*(.*)$/i.exec(startLine);
  if (responseMatch) {
    return { kind: 'response', status: Number(responseMatch[1]), reason: responseMatch[2] ?? '', headers, body: Buffer.from(body) };
  }
  const requestMatch = /^([A-Za-z]+)\s+(\S+)\s+SIP\/2\.0$/i.exec(startLine);
  if (requestMatch) {
    return { kind: 'request', method: (requestMatch[1] ?? '').toUpperCase(), uri: requestMatch[2] ?? '', headers, body: Buffer.from(body) };
  }
  throw new SipParseError(`bad start line: ${JSON.stringify(startLine)}`);
}

/** Serialises with a Content-Length that always matches the body. */
export function serializeSipMessage(message: SipMessage): Buffer {
  const startLine =
    message.kind === 'request' ? `${message.method} ${message.uri} ${SIP_VERSION}` : `${SIP_VERSION} ${message.status} ${message.reason}`;
  const lines = [startLine];
  for (const { name, value } of message.headers.list()) {
    if (canonical(name) !== 'content-length') lines.push(`${name}: ${value}`);
  }
  lines.push(`Content-Length: ${message.body.length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8'), message.body]);
}

/** `"Name" <sip:user@host>;tag=x` or `sip:user@host;tag=x` (RFC 3261 20.10, 20.20, 20.39). */
export interface NameAddr {
  display?: string;
  uri: string;
  params: Record<string, string>;
}

export function parseNameAddr(value: string): NameAddr {
  const trimmed = value.trim();
  const open = trimmed.indexOf('<');
  let display: string | undefined;
  let uri: string;
  let paramText: string;
  if (open >= 0) {
    const close = trimmed.indexOf('>', open);
    if (close < 0) throw new SipParseError(`unclosed < in ${JSON.stringify(value)}`);
    const name = trimmed.slice(0, open).trim().replace(/^"(.*)"$/, '$1');
    display = name.length > 0 ? name : undefined;
    uri = trimmed.slice(open + 1, close).trim();
    paramText = trimmed.slice(close + 1);
  } else {
    // Without <>, every ;param is a header parameter, not a URI one.
    const semi = trimmed.indexOf(';');
    uri = semi >= 0 ? trimmed.slice(0, semi) : trimmed;
    paramText = semi >= 0 ? trimmed.slice(semi) : '';
  }
  return { display, uri, params: parseParams(paramText) };
}

export function formatNameAddr(addr: NameAddr): string {
  const display = addr.display !== undefined ? `"${addr.display.replace(/(["\\])/g, '\\$1')}" ` : '';
  return `${display}<${addr.uri}>${formatParams(addr.params)}`;
}

/** `;a=1;b` -> `{a: '1', b: ''}` (names lower-cased: parameter names are case-insensitive). */
export function parseParams(text: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const part of text.split(';')) {
    const item = part.trim();
    if (item.length === 0) continue;
    const eq = item.indexOf('=');
    const name = (eq >= 0 ? item.slice(0, eq) : item).trim().toLowerCase();
    params[name] = eq >= 0 ? item.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1') : '';
  }
  return params;
}

export function formatParams(params: Record<string, string>): string {
  return Object.entries(params)
    .map(([name, value]) => (value === '' ? `;${name}` : `;${name}=${value}`))
    .join('');
}

export function tagOf(headerValue: string | undefined): string | undefined {
  if (headerValue === undefined) return undefined;
  const tag = parseNameAddr(headerValue).params.tag;
  return tag !== undefined && tag !== '' ? tag : undefined;
}

export interface Via {
  transport: string;
  host: string;
  port?: number;
  params: Record<string, string>;
}

export function parseVia(value: string): Via {
  const match = /^SIP\s*\/\s*2\.0\s*\/\s*([A-Za-z]+)\s+([^;\s]+)\s*(.*)$/i.exec(value.trim());
  if (!match) throw new SipParseError(`bad Via: ${JSON.stringify(value)}`);
  const hostPort = match[2] ?? '';
  const portMatch = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hostPort);
  return {
    transport: (match[1] ?? '').toUpperCase(),
    host: portMatch?.[1] ?? hostPort,
    port: portMatch?.[2] !== undefined ? Number(portMatch[2]) : undefined,
    params: parseParams(match[3] ?? ''),
  };
}

export function parseCSeq(value: string | undefined): { seq: number; method: string } | undefined {
  const match = /^\s*(\d+)\s+([A-Za-z]+)\s*$/.exec(value ?? '');
  if (!match) return undefined;
  return { seq: Number(match[1]), method: (match[2] ?? '').toUpperCase() };
}

/** Branch of the top Via: the transaction id (RFC 3261 17.1.3 / 17.2.3). */
export function topViaBranch(message: SipMessage): string | undefined {
  const top = message.headers.getAll('via')[0];
  if (top === undefined) return undefined;
  try {
    return parseVia(top).params.branch;
  } catch {
    return undefined;
  }
}

/** A URI's host and port (`sip:user@host:port;params`), for logging and default routing. */
export function parseSipUri(uri: string): { scheme: string; user?: string; host: string; port?: number; params: Record<string, string> } {
  const match = /^(sips?):(?:([^@]*)@)?(\[[^\]]+\]|[^:;?]+)(?::(\d+))?([^?]*)/i.exec(uri.trim());
  if (!match) throw new SipParseError(`bad SIP URI: ${JSON.stringify(uri)}`);
  return {
    scheme: (match[1] ?? 'sip').toLowerCase(),
    user: match[2] !== undefined ? decodeURIComponent(match[2]) : undefined,
    host: match[3] ?? '',
    port: match[4] !== undefined ? Number(match[4]) : undefined,
    params: parseParams(match[5] ?? ''),
  };
}

/** Escapes a user part (a phone number may carry `+`, `#`, `*`: RFC 3261 25.1 user-unreserved). */
export function escapeUser(user: string): string {
  return user.replace(/[^A-Za-z0-9\-_.!~*'()&=+$,;?/]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/** Standard reason phrases for the responses we send. */
export const REASON_PHRASES: Record<number, string> = {
  100: 'Trying',
  200: 'OK',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  491: 'Request Pending',
  500: 'Server Internal Error',
  503: 'Service Unavailable',
  603: 'Decline',
};

/**
 * A response to `request` (RFC 3261 8.2.6.2): Via, From, To, Call-ID and CSeq copied; To gets our
 * tag when the request had none and the status is above 100.
 */
export function buildResponse(
  request: SipRequest,
  status: number,
  options: { reason?: string; toTag?: string; headers?: ReadonlyArray<readonly [string, string]>; body?: Buffer } = {},
): SipResponse {
  const headers = new SipHeaders();
  for (const via of request.headers.getAll('via')) headers.append('Via', via);
  const from = request.headers.get('from');
  if (from !== undefined) headers.append('From', from);
  let to = request.headers.get('to') ?? '';
  if (status > 100 && options.toTag !== undefined && tagOf(to) === undefined) to = `${to};tag=${options.toTag}`;
  headers.append('To', to);
  headers.append('Call-ID', request.headers.get('call-id') ?? '');
  headers.append('CSeq', request.headers.get('cseq') ?? '');
  for (const [name, value] of options.headers ?? []) headers.append(name, value);
  return {
    kind: 'response',
    status,
    reason: options.reason ?? REASON_PHRASES[status] ?? 'Unknown',
    headers,
    body: options.body ?? Buffer.alloc(0),
  };
}
