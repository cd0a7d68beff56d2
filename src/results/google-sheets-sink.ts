import { setTimeout as sleep } from 'node:timers/promises';
import { sheets as createSheetsClient, type sheets_v4 } from '@googleapis/sheets';
import { JWT } from 'google-auth-library';
import type { GoogleServiceAccount } from '../config/env';
import type { Logger } from '../logging/logger';
import { RESULT_COLUMNS, rowValues, type ResultRow } from './result-row';
import type { ResultsSink } from './results-sink';
import { oneAtATime } from './one-at-a-time';
import { metrics } from '../metrics/metrics';

export const SHEETS_SCOPE = 'https://www.googleapis.com/auth/spreadsheets';
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

/** Retry-After values beyond this are clamped: the activity around us has its own retries. */
const MAX_RETRY_AFTER_MS = 60_000;

export interface GoogleSheetsSinkOptions {
  spreadsheetId: string;
  /** Sheet (tab) title; undefined means the first sheet, resolved via spreadsheets.get. */
  sheetName?: string;
  credentials: GoogleServiceAccount;
  logger: Logger;
  /** Sheets API root (tests point it at a local fake). */
  rootUrl?: string;
  /** Token endpoint replacing https://oauth2.googleapis.com/token (tests point it at a local fake). */
  tokenUrl?: string;
  /** Attempts per request (429, 5xx and network errors are retried). Default 5. */
  maxAttempts?: number;
  /** First backoff delay; doubles per attempt, with jitter. Default 500 ms. */
  baseDelayMs?: number;
  /** Cap of one backoff delay. Default 30 s. */
  maxDelayMs?: number;
  /** Per-request time limit. Default 30 s. */
  timeoutMs?: number;
}

/** A Sheets failure; `retryable` false means retrying will not help until someone fixes the setup. */
export class GoogleSheetsError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'GoogleSheetsError';
  }
}

/** Sheet title quoted for A1 notation: always in single quotes, inner quotes doubled. */
export function quoteSheetName(name: string): string {
  return `'${name.replace(/'/g, "''")}'`;
}

export function a1(sheetName: string, cells: string): string {
  return `${quoteSheetName(sheetName)}!${cells}`;
}

/** A fetch that sends requests for Google's token endpoint to `tokenUrl` instead (everything else untouched). */
export function tokenRedirectingFetch(tokenUrl: string): typeof fetch {
  const target = new URL(tokenUrl);
  if (target.pathname === '/' || target.pathname === '') target.pathname = '/token';
  const redirect = (url: string): string => (url.startsWith(GOOGLE_TOKEN_URL) ? target.toString() + url.slice(GOOGLE_TOKEN_URL.length) : url);
  return (input, init) => {
    if (input instanceof Request) return fetch(new Request(redirect(input.url), input), init);
    return fetch(redirect(input instanceof URL ? input.toString() : input), init);
  };
}

interface Failure {
  status: number | null;
  /** Google's error status word (RESOURCE_EXHAUSTED, PERMISSION_DENIED...) or a network error code. */
  code: string | undefined;
  message: string;
  retryAfterMs: number | undefined;
  retryable: boolean;
  /** OAuth error of the token exchange (invalid_grant...), when that is what failed. */
  tokenError: string | undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function headerValue(headers: unknown, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  if (isRecord(headers)) {
    const value = headers[name] ?? headers[name.toLowerCase()];
    return typeof value === 'string' ? value : undefined;
  }
  return undefined;
}

function parseRetryAfter(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.min(MAX_RETRY_AFTER_MS, seconds * 1000));
  const date = Date.parse(value);
  if (Number.isFinite(date)) return Math.max(0, Math.min(MAX_RETRY_AFTER_MS, date - Date.now()));
  return undefined;
}

/** Reads what matters from a gaxios error (or any other error) without touching its config (which holds the bearer token). */
function describeFailure(err: unknown): Failure {
  const error = isRecord(err) ? err : {};
  const response = isRecord(error.response) ? error.response : undefined;
  const rawStatus = response?.status ?? error.status;
  const status = typeof rawStatus === 'number' && rawStatus > 0 ? rawStatus : null;
  const data = response?.data;
  let code: string | undefined;
  let message = err instanceof Error ? err.message : String(err);
  let tokenError: string | undefined;
  if (isRecord(data) && isRecord(data.error)) {
    if (typeof data.error.status === 'string') code = data.error.status;
    if (typeof data.error.message === 'string') message = data.error.message;
  } else if (isRecord(data) && typeof data.error === 'string') {
    tokenError = data.error;
    code = data.error;
    message = typeof data.error_description === 'string' ? `${data.error}: ${data.error_description}` : data.error;
  } else if (status === null) {
    // Transport failures arrive wrapped (GaxiosError -> TypeError 'fetch failed' -> SocketError...): report the innermost.
    let inner: Record<string, unknown> = error;
    for (let depth = 0; depth < 4 && isRecord(inner.cause); depth += 1) inner = inner.cause;
    const errCode = [inner.code, error.code].find((value) => typeof value === 'string');
    if (typeof errCode === 'string') code = errCode;
    if (inner !== error && typeof inner.message === 'string' && inner.message !== '') message = inner.message;
  }
  // No status: a transport failure (refused, reset, timed out) if the HTTP client saw the request; anything
  // else (a key that does not parse, a bug) will not get better by retrying.
  const retryable = status === null ? tokenError === undefined && isRecord(error.config) : status === 408 || status === 429 || status >= 500;
  return { status, code, message, retryAfterMs: parseRetryAfter(headerValue(response?.headers, 'retry-after')), retryable, tokenError };
}

/**
 * Results in a Google Sheets spreadsheet (spec 7), through the official client and a service
 * account (JWT bearer exchange). One row per call: before appending, column B (call_id) is read and
 * a present call id is not written again. The append itself is never retried blindly: after a
 * failed or lost append the duplicate check runs again first, so a lost response cannot produce a
 * second row. Writes from this process are serialised.
 */
export class GoogleSheetsSink implements ResultsSink {
  readonly kind = 'google_sheets';
  private readonly api: sheets_v4.Sheets;
  private readonly spreadsheetId: string;
  private readonly configuredSheetName: string | undefined;
  private readonly clientEmail: string;
  private readonly logger: Logger;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly timeoutMs: number;
  private sheetName: string | undefined;
  private headerChecked = false;

  constructor(options: GoogleSheetsSinkOptions) {
    this.spreadsheetId = options.spreadsheetId;
    this.configuredSheetName = options.sheetName;
    this.clientEmail = options.credentials.client_email;
    this.logger = options.logger;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 5);
    this.baseDelayMs = Math.max(0, options.baseDelayMs ?? 500);
    this.maxDelayMs = Math.max(this.baseDelayMs, options.maxDelayMs ?? 30_000);
    this.timeoutMs = options.timeoutMs ?? 30_000;
    const auth = new JWT({
      email: options.credentials.client_email,
      key: options.credentials.private_key,
      keyId: options.credentials.private_key_id,
      // Without scopes the client signs self-issued JWTs and (as checked) may send no Authorization at all.
      scopes: [SHEETS_SCOPE],
      transporterOptions: options.tokenUrl ? { fetchImplementation: tokenRedirectingFetch(options.tokenUrl) } : undefined,
    });
    this.api = createSheetsClient({ version: 'v4', auth, ...(options.rootUrl ? { rootUrl: options.rootUrl } : {}) });
  }

  readonly writeRow: (row: ResultRow) => Promise<{ written: boolean }> = oneAtATime((row: ResultRow) => this.writeNow(row));

  private async writeNow(row: ResultRow): Promise<{ written: boolean }> {
    const callId = String(row.call_id);
    const sheet = await this.resolveSheetName(callId);
    await this.ensureHeader(sheet, callId);

    for (let attempt = 1; ; attempt += 1) {
      if (await this.hasCallId(sheet, callId)) {
        if (attempt === 1) {
          this.logger.info({ call_id: callId, sheet }, 'result row already in the spreadsheet; not written again');
          return { written: false };
        }
        // Not there before our append, there now: our append went through and only its response was lost.
        this.logger.info({ call_id: callId, sheet, attempt }, 'result row found after a failed append; it was written');
        return { written: true };
      }
      try {
        await this.api.spreadsheets.values.append(
          {
            spreadsheetId: this.spreadsheetId,
            range: a1(sheet, 'A:H'),
            valueInputOption: 'RAW',
            insertDataOption: 'INSERT_ROWS',
            requestBody: { majorDimension: 'ROWS', values: [rowValues(row)] },
          },
          { retry: false, timeout: this.timeoutMs },
        );
        this.logger.info({ call_id: callId, sheet }, 'result row written to google sheets');
        return { written: true };
      } catch (err) {
        const failure = this.reportFailure('values.append', err, callId, attempt);
        if (!failure.retryable) throw this.fatalError('values.append', failure);
        if (attempt >= this.maxAttempts) throw this.exhaustedError('values.append', failure);
        await sleep(this.backoffMs(attempt, failure));
      }
    }
  }

  private async resolveSheetName(callId: string): Promise<string> {
    if (this.sheetName !== undefined) return this.sheetName;
    const response = await this.request('spreadsheets.get', callId, () =>
      this.api.spreadsheets.get(
        { spreadsheetId: this.spreadsheetId, fields: 'sheets.properties.title', includeGridData: false },
        { retry: false, timeout: this.timeoutMs },
      ),
    );
    const titles = (response.data.sheets ?? [])
      .map((sheet) => sheet.properties?.title)
      .filter((title): title is string => typeof title === 'string');
    let name: string | undefined;
    if (this.configuredSheetName === undefined) {
      name = titles[0];
      if (name === undefined) throw new GoogleSheetsError(`Spreadsheet ${this.spreadsheetId} has no sheets: add one`, null, false);
    } else {
      name = titles.find((title) => title === this.configuredSheetName);
      if (name === undefined) {
        throw new GoogleSheetsError(
          `Sheet "${this.configuredSheetName}" is not in spreadsheet ${this.spreadsheetId} (sheets: ${titles.map((t) => `"${t}"`).join(', ')}): fix GOOGLE_SHEETS_SHEET_NAME or leave it empty for the first sheet`,
          null,
          false,
        );
      }
    }
    this.sheetName = name;
    return name;
  }

  /** Row 1 must hold the column names; an empty row 1 gets them. Checked once per sink. */
  private async ensureHeader(sheet: string, callId: string): Promise<void> {
    if (this.headerChecked) return;
    const range = a1(sheet, 'A1:H1');
    const response = await this.request('values.get', callId, () =>
      this.api.spreadsheets.values.get({ spreadsheetId: this.spreadsheetId, range, majorDimension: 'ROWS' }, { retry: false, timeout: this.timeoutMs }),
    );
    const first = (response.data.values?.[0] ?? []).map((cell: unknown) => String(cell ?? ''));
    if (first.every((cell) => cell.trim() === '')) {
      await this.request('values.update', callId, () =>
        this.api.spreadsheets.values.update(
          { spreadsheetId: this.spreadsheetId, range, valueInputOption: 'RAW', requestBody: { majorDimension: 'ROWS', values: [[...RESULT_COLUMNS]] } },
          { retry: false, timeout: this.timeoutMs },
        ),
      );
      this.logger.info({ sheet }, 'header row written to google sheets');
    } else if (RESULT_COLUMNS.some((column, index) => first[index] !== column)) {
      this.logger.warn({ sheet, found: first, expected: RESULT_COLUMNS }, 'row 1 of the results sheet is not the expected header; rows are appended in spec column order anyway');
    }
    this.headerChecked = true;
  }

  private async hasCallId(sheet: string, callId: string): Promise<boolean> {
    const response = await this.request('values.get', callId, () =>
      this.api.spreadsheets.values.get(
        { spreadsheetId: this.spreadsheetId, range: a1(sheet, 'B:B'), majorDimension: 'ROWS' },
        { retry: false, timeout: this.timeoutMs },
      ),
    );
    return (response.data.values ?? []).some((cells: unknown[]) => String(cells[0] ?? '') === callId);
  }

  /** Runs one idempotent request (read or overwrite) with retries on 429 / 5xx / network errors. */
  private async request<T>(operation: string, callId: string, send: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await send();
      } catch (err) {
        const failure = this.reportFailure(operation, err, callId, attempt);
        if (!failure.retryable) throw this.fatalError(operation, failure);
        if (attempt >= this.maxAttempts) throw this.exhaustedError(operation, failure);
        await sleep(this.backoffMs(attempt, failure));
      }
    }
  }

  private reportFailure(operation: string, err: unknown, callId: string, attempt: number): Failure {
    const failure = describeFailure(err);
    metrics.errors.inc({ kind: 'sheets' });
    // Only these fields: the error object itself carries the request config with the bearer token.
    this.logger.error(
      {
        err_status: failure.status,
        err_code: failure.code,
        err_message: failure.message,
        call_id: callId,
        attempt,
        max_attempts: this.maxAttempts,
        operation,
        retryable: failure.retryable,
        spreadsheet_id: this.spreadsheetId,
      },
      'google sheets request failed',
    );
    return failure;
  }

  private backoffMs(attempt: number, failure: Failure): number {
    if (failure.retryAfterMs !== undefined) return failure.retryAfterMs;
    const ceiling = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
    return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
  }

  private exhaustedError(operation: string, failure: Failure): GoogleSheetsError {
    const what = failure.status === null ? (failure.code ?? 'network error') : `${failure.status}${failure.code ? ` ${failure.code}` : ''}`;
    return new GoogleSheetsError(
      `Google Sheets ${operation} still failing after ${this.maxAttempts} attempts (last: ${what}: ${failure.message})`,
      failure.status,
      true,
    );
  }

  /** An error that says what to fix. */
  private fatalError(operation: string, failure: Failure): GoogleSheetsError {
    const detail = `${failure.status ?? ''}${failure.code ? ` ${failure.code}` : ''}: ${failure.message}`.trim();
    let advice: string;
    if (failure.tokenError !== undefined) {
      advice = `Google refused the service account credentials (${failure.message}): check GOOGLE_CREDENTIALS_JSON / GOOGLE_CREDENTIALS_FILE (a current, not deleted key of ${this.clientEmail}) and the server clock`;
    } else if (failure.status === 403) {
      advice = `Google Sheets denied access to spreadsheet ${this.spreadsheetId} (${detail}): share the spreadsheet with ${this.clientEmail} as Editor, and make sure the Google Sheets API is enabled in that service account's project`;
    } else if (failure.status === 404) {
      advice = `Google Sheets spreadsheet ${this.spreadsheetId} was not found (${detail}): check GOOGLE_SHEETS_SPREADSHEET_ID (the id between /d/ and /edit in the spreadsheet URL)`;
    } else if (failure.status === 401) {
      advice = `Google Sheets did not accept the credentials (${detail}): check GOOGLE_CREDENTIALS_JSON / GOOGLE_CREDENTIALS_FILE for ${this.clientEmail}`;
    } else if (failure.status === 400) {
      advice = `Google Sheets rejected ${operation} (${detail}): check GOOGLE_SHEETS_SHEET_NAME and that the sheet is a normal grid sheet`;
    } else {
      advice = `Google Sheets ${operation} failed (${detail})`;
    }
    return new GoogleSheetsError(advice, failure.status, false);
  }
}
