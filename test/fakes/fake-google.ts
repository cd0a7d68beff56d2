/**
 * A local fake of Google's OAuth token endpoint and the Sheets API v4, over real HTTP on 127.0.0.1,
 * so the real `@googleapis/sheets` client and the real JWT bearer exchange of `google-auth-library`
 * can be exercised offline. It checks what Google checks (the RS256 signature of the assertion with
 * the registered public key, issuer, audience, scope, lifetime; the bearer token on every Sheets call;
 * sharing) and implements just enough of A1 notation for the results sink.
 */
import { createPublicKey, createVerify, generateKeyPairSync, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GoogleServiceAccount } from '../../src/config/env';

export const FAKE_TOKEN_AUDIENCE = 'https://oauth2.googleapis.com/token';
export const SPREADSHEETS_SCOPE = 'https://www.googleapis.com/auth/spreadsheets';
const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

export interface FakeSheet {
  title: string;
  sheetId: number;
  /** rows[0] is row 1; cells are stored as the formatted strings the API would return. */
  rows: string[][];
  rowCount: number;
  columnCount: number;
}

export interface FakeSpreadsheet {
  title: string;
  sheets: FakeSheet[];
  /** Service account emails with access; undefined means every authenticated caller. */
  sharedWith?: Set<string>;
}

export interface RecordedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
}

export interface FailureMatcher {
  method?: string;
  pathIncludes?: string;
}

/** `hold`: the request is never answered (a network that holds it; the client's deadline or death ends it). */
export type FailureResponse = { status: number; body?: unknown; headers?: Record<string, string> } | 'drop-after-apply' | 'hold';

export interface FakeGoogle {
  /** http://127.0.0.1:<port>: the Sheets API root. */
  url: string;
  /** The token endpoint (`${url}/token`). */
  tokenUrl: string;
  close(): Promise<void>;
  spreadsheets: Map<string, FakeSpreadsheet>;
  createSpreadsheet(id: string, sheetTitles: string[], options?: { sharedWith?: string[] }): FakeSpreadsheet;
  /** Rows of a sheet (the first sheet by default). */
  rows(spreadsheetId: string, sheetTitle?: string): string[][];
  registerServiceAccount(account: GoogleServiceAccount): void;
  /** The next request matching gets this response instead (or is applied and then its connection dropped). */
  failNext(matcher: FailureMatcher, response: FailureResponse): void;
  requests: RecordedRequest[];
  /** Requests answered with `hold`: received, never answered, never applied. */
  heldRequests: RecordedRequest[];
  /** POST /token calls, accepted or not. */
  readonly tokenRequests: number;
  /** Access tokens handed out. */
  readonly tokensIssued: number;
}

/** A fresh service account key (RSA 2048, PKCS#8 PEM), shaped like Google's key JSON. */
export function generateServiceAccount(name = `results-${randomBytes(3).toString('hex')}`): GoogleServiceAccount {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return {
    client_email: `${name}@fake-project.iam.gserviceaccount.com`,
    private_key: privateKey,
    private_key_id: randomBytes(20).toString('hex'),
  };
}

const STATUS_WORDS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

const DEFAULT_MESSAGES: Record<number, string> = {
  401: 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
  403: 'The caller does not have permission',
  404: 'Requested entity was not found.',
  429: "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per user' of service 'sheets.googleapis.com'.",
  500: 'Internal error encountered.',
  503: 'The service is currently unavailable.',
};

function googleError(status: number, message?: string) {
  return { error: { code: status, message: message ?? DEFAULT_MESSAGES[status] ?? 'Error', status: STATUS_WORDS[status] ?? 'UNKNOWN' } };
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}`);
  }
}

const fail = (status: number, message?: string): never => {
  throw new HttpError(status, googleError(status, message));
};

// ---- A1 notation --------------------------------------------------------------------------------

interface GridRange {
  sheet: FakeSheet;
  startCol: number; // 0-based
  endCol: number; // 0-based, inclusive
  startRow: number; // 1-based
  endRow: number | null; // 1-based inclusive; null = to the end
}

function columnIndex(letters: string): number {
  let n = 0;
  for (const ch of letters.toUpperCase()) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n - 1;
}

function columnLetters(index: number): string {
  let n = index + 1;
  let out = '';
  while (n > 0) {
    const rem = (n - 1) % 26;
    out = String.fromCharCode(65 + rem) + out;
    n = Math.floor((n - 1) / 26);
  }
  return out;
}

function formatSheetName(title: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(title) ? title : `'${title.replace(/'/g, "''")}'`;
}

function formatRange(sheet: FakeSheet, startCol: number, startRow: number, endCol: number, endRow: number): string {
  return `${formatSheetName(sheet.title)}!${columnLetters(startCol)}${startRow}:${columnLetters(endCol)}${endRow}`;
}

const CELLS = /^([A-Za-z]+)?(\d+)?(?::([A-Za-z]+)?(\d+)?)?$/;

function parseRange(spreadsheet: FakeSpreadsheet, range: string): GridRange {
  let sheetName: string | undefined;
  let cells: string | undefined;
  if (range.startsWith("'")) {
    let i = 1;
    let name = '';
    for (; i < range.length; i += 1) {
      const ch = range[i];
      if (ch === "'") {
        if (range[i + 1] === "'") {
          name += "'";
          i += 1;
          continue;
        }
        break;
      }
      name += ch;
    }
    if (i >= range.length) fail(400, `Unable to parse range: ${range}`);
    sheetName = name;
    const rest = range.slice(i + 1);
    if (rest !== '' && !rest.startsWith('!')) fail(400, `Unable to parse range: ${range}`);
    cells = rest === '' ? undefined : rest.slice(1);
  } else if (range.includes('!')) {
    const at = range.indexOf('!');
    sheetName = range.slice(0, at);
    cells = range.slice(at + 1);
  } else if (CELLS.test(range) && spreadsheet.sheets.every((s) => s.title !== range)) {
    cells = range;
  } else {
    sheetName = range;
  }
  const sheet = sheetName === undefined ? spreadsheet.sheets[0] : spreadsheet.sheets.find((s) => s.title === sheetName);
  if (!sheet) return fail(400, `Unable to parse range: ${range}`);
  if (cells === undefined || cells === '') return { sheet, startCol: 0, endCol: sheet.columnCount - 1, startRow: 1, endRow: null };
  const match = CELLS.exec(cells);
  if (!match || (!match[1] && !match[2])) return fail(400, `Unable to parse range: ${range}`);
  const [, c1, r1, c2, r2] = match;
  const single = !cells.includes(':');
  const startCol = c1 ? columnIndex(c1) : 0;
  const startRow = r1 ? Number(r1) : 1;
  const endCol = single ? startCol : c2 ? columnIndex(c2) : sheet.columnCount - 1;
  const endRow = single ? (r1 ? startRow : null) : r2 ? Number(r2) : null;
  if (endCol < startCol || (endRow !== null && endRow < startRow)) fail(400, `Unable to parse range: ${range}`);
  return { sheet, startCol, endCol, startRow, endRow };
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function isRowEmpty(row: string[] | undefined, startCol: number, endCol: number): boolean {
  if (!row) return true;
  for (let c = startCol; c <= endCol && c < row.length; c += 1) if ((row[c] ?? '') !== '') return false;
  return true;
}

function lastNonEmptyRow(sheet: FakeSheet, startCol: number, endCol: number): number {
  for (let r = sheet.rows.length; r >= 1; r -= 1) if (!isRowEmpty(sheet.rows[r - 1], startCol, endCol)) return r;
  return 0;
}

function writeCells(sheet: FakeSheet, startRow: number, startCol: number, values: unknown[][]): void {
  values.forEach((cells, i) => {
    const r = startRow - 1 + i;
    while (sheet.rows.length <= r) sheet.rows.push([]);
    const row = sheet.rows[r] ?? [];
    cells.forEach((value, j) => {
      const c = startCol + j;
      while (row.length < c) row.push('');
      row[c] = cellText(value);
    });
    sheet.rows[r] = row;
  });
  sheet.rowCount = Math.max(sheet.rowCount, sheet.rows.length);
  const widest = Math.max(0, ...values.map((cells) => startCol + cells.length));
  sheet.columnCount = Math.max(sheet.columnCount, widest);
}

function readValues(range: GridRange) {
  const last = lastNonEmptyRow(range.sheet, range.startCol, range.endCol);
  const endRow = range.endRow ?? Math.max(range.sheet.rowCount, last);
  const values: string[][] = [];
  for (let r = range.startRow; r <= Math.min(endRow, last); r += 1) {
    const row = (range.sheet.rows[r - 1] ?? []).slice(range.startCol, range.endCol + 1);
    while (row.length > 0 && row[row.length - 1] === '') row.pop();
    values.push(row);
  }
  while (values.length > 0 && values[values.length - 1]?.length === 0) values.pop();
  return {
    range: formatRange(range.sheet, range.startCol, range.startRow, range.endCol, endRow),
    majorDimension: 'ROWS',
    ...(values.length > 0 ? { values } : {}),
  };
}

function requireValues(body: unknown): unknown[][] {
  const values = typeof body === 'object' && body !== null ? (body as { values?: unknown }).values : undefined;
  if (!Array.isArray(values) || !values.every((row) => Array.isArray(row))) return fail(400, 'Invalid values: expected an array of rows');
  const major = (body as { majorDimension?: unknown }).majorDimension;
  if (major !== undefined && major !== 'ROWS') fail(400, 'Only majorDimension ROWS is supported by this fake');
  return values as unknown[][];
}

function requireValueInputOption(query: URLSearchParams): void {
  const option = query.get('valueInputOption');
  if (option !== 'RAW' && option !== 'USER_ENTERED') fail(400, "Invalid valueInputOption: ''");
}

// ---- JWT bearer exchange ------------------------------------------------------------------------

function decodeSegment(segment: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

// ---- server -------------------------------------------------------------------------------------

export async function startFakeGoogle(): Promise<FakeGoogle> {
  const spreadsheets = new Map<string, FakeSpreadsheet>();
  const publicKeys = new Map<string, KeyObject>();
  const tokens = new Map<string, string>(); // access token -> client_email
  const failures: { matcher: FailureMatcher; response: FailureResponse }[] = [];
  const requests: RecordedRequest[] = [];
  const heldRequests: RecordedRequest[] = [];
  let tokenRequests = 0;
  let tokensIssued = 0;
  let nextSheetId = 0;

  const refuse = (description: string): never => {
    throw new HttpError(400, { error: 'invalid_grant', error_description: description });
  };

  const issueToken = (body: string) => {
    const form = new URLSearchParams(body);
    if (form.get('grant_type') !== JWT_BEARER_GRANT) {
      throw new HttpError(400, { error: 'unsupported_grant_type', error_description: 'Invalid grant_type: ' + (form.get('grant_type') ?? '') });
    }
    const parts = (form.get('assertion') ?? '').split('.');
    const [h, p, s] = parts;
    if (parts.length !== 3 || !h || !p || !s) return refuse('Invalid JWT: malformed assertion');
    const header = decodeSegment(h);
    const claims = decodeSegment(p);
    if (!header || !claims) return refuse('Invalid JWT: malformed assertion');
    if (header.alg !== 'RS256') return refuse(`Invalid JWT: alg ${String(header.alg)} is not RS256`);
    const iss = typeof claims.iss === 'string' ? claims.iss : '';
    const publicKey = publicKeys.get(iss);
    if (!publicKey) return refuse('Invalid grant: account not found');
    const verifier = createVerify('RSA-SHA256');
    verifier.update(`${h}.${p}`);
    if (!verifier.verify(publicKey, Buffer.from(s, 'base64url'))) return refuse('Invalid JWT Signature.');
    if (claims.aud !== FAKE_TOKEN_AUDIENCE) return refuse(`Invalid JWT: aud must be ${FAKE_TOKEN_AUDIENCE}`);
    const scopes = typeof claims.scope === 'string' ? claims.scope.split(/\s+/) : [];
    if (!scopes.includes(SPREADSHEETS_SCOPE)) return refuse('Invalid JWT: the spreadsheets scope is missing');
    const now = Math.floor(Date.now() / 1000);
    const { iat, exp } = claims;
    if (typeof iat !== 'number' || typeof exp !== 'number' || iat > now + 300 || exp < now - 300 || exp - iat > 3600) {
      return refuse('Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.');
    }
    const accessToken = `ya29.fake-${randomBytes(24).toString('base64url')}`;
    tokens.set(accessToken, iss);
    tokensIssued += 1;
    return { access_token: accessToken, expires_in: 3600, token_type: 'Bearer' };
  };

  const authenticate = (req: IncomingMessage): string => {
    const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    const email = match?.[1] ? tokens.get(match[1]) : undefined;
    if (email === undefined) return fail(401);
    return email;
  };

  const spreadsheetFor = (id: string, email: string): FakeSpreadsheet => {
    const spreadsheet = spreadsheets.get(id);
    if (!spreadsheet) return fail(404);
    if (spreadsheet.sharedWith && !spreadsheet.sharedWith.has(email)) return fail(403);
    return spreadsheet;
  };

  const handleSheets = (req: IncomingMessage, url: URL, body: string): unknown => {
    const email = authenticate(req);
    const match = /^\/v4\/spreadsheets\/([^/]+)(?:\/values\/(.+))?$/.exec(url.pathname);
    if (!match?.[1]) return fail(404, `Method not found: ${url.pathname}`);
    const id = decodeURIComponent(match[1]);
    const spreadsheet = spreadsheetFor(id, email);
    const method = req.method ?? 'GET';
    if (match[2] === undefined) {
      if (method !== 'GET') return fail(404, 'Method not found.');
      return {
        spreadsheetId: id,
        properties: { title: spreadsheet.title, locale: 'ru_RU', timeZone: 'Europe/Moscow' },
        sheets: spreadsheet.sheets.map((sheet, index) => ({
          properties: {
            sheetId: sheet.sheetId,
            title: sheet.title,
            index,
            sheetType: 'GRID',
            gridProperties: { rowCount: sheet.rowCount, columnCount: sheet.columnCount },
          },
        })),
        spreadsheetUrl: `https://docs.google.com/spreadsheets/d/${id}/edit`,
      };
    }
    let rangeText = decodeURIComponent(match[2]);
    const isAppend = rangeText.endsWith(':append');
    if (isAppend) rangeText = rangeText.slice(0, -':append'.length);
    const range = parseRange(spreadsheet, rangeText);
    const parsedBody: unknown = body === '' ? {} : JSON.parse(body);

    if (method === 'GET' && !isAppend) return readValues(range);

    if (method === 'PUT' && !isAppend) {
      requireValueInputOption(url.searchParams);
      const values = requireValues(parsedBody);
      const width = Math.max(0, ...values.map((row) => row.length));
      if (range.startCol + width - 1 > range.endCol || (range.endRow !== null && range.startRow + values.length - 1 > range.endRow)) {
        fail(400, `Requested writing within range [${rangeText}], but tried writing past its end.`);
      }
      writeCells(range.sheet, range.startRow, range.startCol, values);
      return {
        spreadsheetId: id,
        updatedRange: formatRange(range.sheet, range.startCol, range.startRow, range.startCol + Math.max(width, 1) - 1, range.startRow + Math.max(values.length, 1) - 1),
        updatedRows: values.length,
        updatedColumns: width,
        updatedCells: values.reduce((sum, row) => sum + row.length, 0),
      };
    }

    if (method === 'POST' && isAppend) {
      requireValueInputOption(url.searchParams);
      const insert = url.searchParams.get('insertDataOption') ?? 'OVERWRITE';
      if (insert !== 'INSERT_ROWS' && insert !== 'OVERWRITE') fail(400, `Invalid insertDataOption: ${insert}`);
      const values = requireValues(parsedBody);
      const width = Math.max(0, ...values.map((row) => row.length));
      const last = lastNonEmptyRow(range.sheet, range.startCol, range.endCol);
      const tableRange = last > 0 ? formatRange(range.sheet, range.startCol, 1, range.endCol, last) : undefined;
      const firstRow = last + 1;
      if (insert === 'INSERT_ROWS') range.sheet.rowCount += values.length;
      writeCells(range.sheet, firstRow, range.startCol, values);
      return {
        spreadsheetId: id,
        ...(tableRange ? { tableRange } : {}),
        updates: {
          spreadsheetId: id,
          updatedRange: formatRange(range.sheet, range.startCol, firstRow, range.startCol + Math.max(width, 1) - 1, firstRow + Math.max(values.length, 1) - 1),
          updatedRows: values.length,
          updatedColumns: width,
          updatedCells: values.reduce((sum, row) => sum + row.length, 0),
        },
      };
    }
    return fail(404, 'Method not found.');
  };

  const takeFailure = (method: string, path: string): FailureResponse | undefined => {
    const index = failures.findIndex(
      ({ matcher }) => (matcher.method === undefined || matcher.method.toUpperCase() === method) && (matcher.pathIncludes === undefined || path.includes(matcher.pathIncludes)),
    );
    if (index < 0) return undefined;
    const [failure] = failures.splice(index, 1);
    return failure?.response;
  };

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const method = req.method ?? 'GET';
      const path = req.url ?? '/';
      // Decoded, so matchers can name a sheet or a range as written.
      let readablePath = path;
      try {
        readablePath = decodeURIComponent(path);
      } catch {
        // keep the raw path
      }
      requests.push({ method, path: readablePath, authorization: req.headers.authorization });
      const url = new URL(path, 'http://127.0.0.1');
      if (method === 'POST' && url.pathname === '/token') tokenRequests += 1;
      const injected = takeFailure(method, readablePath);
      if (injected === 'hold') {
        heldRequests.push({ method, path: readablePath, authorization: req.headers.authorization });
        return;
      }
      if (injected !== undefined && injected !== 'drop-after-apply') {
        const defaultBody = url.pathname === '/token' ? { error: injected.status >= 500 ? 'internal_failure' : 'invalid_grant', error_description: 'injected failure' } : googleError(injected.status);
        send(res, injected.status, injected.body ?? defaultBody, injected.headers);
        return;
      }
      let status = 200;
      let answer: unknown;
      try {
        if (method === 'POST' && url.pathname === '/token') answer = issueToken(body);
        else if (url.pathname.startsWith('/v4/spreadsheets/')) answer = handleSheets(req, url, body);
        else answer = fail(404, `Not found: ${url.pathname}`);
      } catch (err) {
        if (err instanceof HttpError) {
          status = err.status;
          answer = err.body;
        } else {
          status = 500;
          answer = googleError(500, err instanceof Error ? err.message : String(err));
        }
      }
      if (injected === 'drop-after-apply') {
        req.socket.destroy();
        return;
      }
      send(res, status, answer);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    tokenUrl: `${url}/token`,
    spreadsheets,
    requests,
    heldRequests,
    get tokenRequests() {
      return tokenRequests;
    },
    get tokensIssued() {
      return tokensIssued;
    },
    createSpreadsheet(id, sheetTitles, options = {}) {
      const spreadsheet: FakeSpreadsheet = {
        title: `Spreadsheet ${id}`,
        sheets: sheetTitles.map((title) => ({ title, sheetId: nextSheetId++, rows: [], rowCount: 1000, columnCount: 26 })),
        ...(options.sharedWith ? { sharedWith: new Set(options.sharedWith) } : {}),
      };
      spreadsheets.set(id, spreadsheet);
      return spreadsheet;
    },
    rows(spreadsheetId, sheetTitle) {
      const spreadsheet = spreadsheets.get(spreadsheetId);
      const sheet = sheetTitle === undefined ? spreadsheet?.sheets[0] : spreadsheet?.sheets.find((s) => s.title === sheetTitle);
      if (!sheet) throw new Error(`no sheet ${sheetTitle ?? '(first)'} in ${spreadsheetId}`);
      return sheet.rows;
    },
    registerServiceAccount(account) {
      publicKeys.set(account.client_email, createPublicKey(account.private_key));
    },
    failNext(matcher, response) {
      failures.push({ matcher, response });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A unique spreadsheet id, shaped like Google's. */
export function newSpreadsheetId(): string {
  return randomUUID().replace(/-/g, '') + randomBytes(6).toString('hex');
}
