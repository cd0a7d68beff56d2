import type { GoogleServiceAccount } from '../../src/config/env';
import { createLogger } from '../../src/logging/logger';
import { GoogleSheetsError, GoogleSheetsSink, quoteSheetName, type GoogleSheetsSinkOptions } from '../../src/results/google-sheets-sink';
import { RESULT_COLUMNS, type ResultRow } from '../../src/results/result-row';
import { generateServiceAccount, startFakeGoogle, type FakeGoogle } from '../fakes/fake-google';

const HEADER = [...RESULT_COLUMNS];
const SPREADSHEET = '1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_results';

function row(callId: string, overrides: Partial<ResultRow> = {}): ResultRow {
  return {
    timestamp: '2025-03-01 15:04:05 +03:00',
    call_id: callId,
    phone: '+79991234567',
    status: 'completed',
    final_disposition: 'call_later',
    duration_sec: 42,
    short_summary: 'Просил перезвонить, после 18:00',
    transcript: 'Оператор: Здравствуйте, это "Ромашка" | Абонент: Перезвоните позже',
    ...overrides,
  };
}

/** The spec column order, as strings (what the API returns for RAW numbers). */
function cells(r: ResultRow): string[] {
  return RESULT_COLUMNS.map((column) => String(r[column]));
}

describe('GoogleSheetsSink against a local fake of Google (real client, real JWT exchange)', () => {
  let fake: FakeGoogle;
  let account: GoogleServiceAccount;
  let logLines: string[];

  const logger = () =>
    createLogger({ destination: { write: (line: string) => void logLines.push(line) }, secrets: [account.private_key, account.private_key_id ?? ''] });
  const logRecords = () => logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
  const makeSink = (overrides: Partial<GoogleSheetsSinkOptions> = {}) =>
    new GoogleSheetsSink({
      spreadsheetId: SPREADSHEET,
      credentials: account,
      logger: logger(),
      rootUrl: `${fake.url}/`,
      tokenUrl: fake.tokenUrl,
      baseDelayMs: 10,
      ...overrides,
    });
  const sheetRequests = (method: string, includes: string) => fake.requests.filter((r) => r.method === method && r.path.includes(includes));

  beforeAll(() => {
    account = generateServiceAccount();
  });
  beforeEach(async () => {
    logLines = [];
    fake = await startFakeGoogle();
    fake.registerServiceAccount(account);
  });
  afterEach(async () => {
    await fake.close();
  });

  it('exchanges a signed JWT for a token, writes the header into an empty first sheet once, then rows', async () => {
    fake.createSpreadsheet(SPREADSHEET, ['Звонки', 'Archive']);
    const sink = makeSink();
    expect(sink.kind).toBe('google_sheets');

    expect(await sink.writeRow(row('call-1'))).toEqual({ written: true });
    expect(fake.tokenRequests).toBe(1);
    expect(fake.tokensIssued).toBe(1);
    const apiCalls = fake.requests.filter((r) => r.path.startsWith('/v4/'));
    expect(apiCalls.length).toBeGreaterThanOrEqual(4);
    for (const call of apiCalls) expect(call.authorization).toMatch(/^Bearer ya29\.fake-/);

    // The first sheet was resolved by title and the ranges quoted.
    expect(sheetRequests('GET', "/values/'Звонки'!A1:H1")).toHaveLength(1);
    expect(sheetRequests('PUT', "/values/'Звонки'!A1:H1?valueInputOption=RAW")).toHaveLength(1);
    expect(sheetRequests('POST', "/values/'Звонки'!A:H:append?")).toHaveLength(1);
    expect(sheetRequests('POST', 'insertDataOption=INSERT_ROWS')).toHaveLength(1);

    // A second sink (a restarted worker) reads the header and does not rewrite it.
    expect(await makeSink().writeRow(row('call-2', { duration_sec: 0, short_summary: '' }))).toEqual({ written: true });
    expect(fake.requests.filter((r) => r.method === 'PUT')).toHaveLength(1);
    expect(fake.rows(SPREADSHEET, 'Звонки')).toEqual([HEADER, cells(row('call-1')), ['2025-03-01 15:04:05 +03:00', 'call-2', '+79991234567', 'completed', 'call_later', '0', '', 'Оператор: Здравствуйте, это "Ромашка" | Абонент: Перезвоните позже']]);
    expect(fake.rows(SPREADSHEET, 'Archive')).toEqual([]);
  });

  it('writes the row in the exact spec column order, into a named sheet with awkward characters', async () => {
    const title = "Итоги 'Q3', звонки!";
    fake.createSpreadsheet(SPREADSHEET, ['Sheet1', title]);
    const r: ResultRow = {
      timestamp: '2025-12-31 23:59:59 +03:00',
      call_id: '6f1c2d3e-0000-4000-8000-000000000001',
      phone: '+74951112233',
      status: 'no_answer',
      final_disposition: 'unknown',
      duration_sec: 0,
      short_summary: '=SUM(A1:A2)',
      transcript: '',
    };
    expect(await makeSink({ sheetName: title }).writeRow(r)).toEqual({ written: true });
    expect(quoteSheetName(title)).toBe("'Итоги ''Q3'', звонки!'");
    expect(fake.rows(SPREADSHEET, title)).toEqual([
      HEADER,
      ['2025-12-31 23:59:59 +03:00', '6f1c2d3e-0000-4000-8000-000000000001', '+74951112233', 'no_answer', 'unknown', '0', '=SUM(A1:A2)', ''],
    ]);
    expect(fake.rows(SPREADSHEET, 'Sheet1')).toEqual([]);
  });

  it('keeps an existing header and appends after the last row', async () => {
    const sheet = fake.createSpreadsheet(SPREADSHEET, ['Results']).sheets[0];
    sheet?.rows.push(HEADER, cells(row('old-1')), cells(row('old-2')));
    expect(await makeSink().writeRow(row('new-1'))).toEqual({ written: true });
    expect(fake.requests.filter((r) => r.method === 'PUT')).toHaveLength(0);
    expect(fake.rows(SPREADSHEET).map((cellsOfRow) => cellsOfRow[1])).toEqual(['call_id', 'old-1', 'old-2', 'new-1']);
  });

  it('does not write a second row for a call_id already in the sheet', async () => {
    fake.createSpreadsheet(SPREADSHEET, ['Results']);
    const sink = makeSink();
    expect(await sink.writeRow(row('call-dup'))).toEqual({ written: true });
    expect(await sink.writeRow(row('call-dup', { short_summary: 'другое' }))).toEqual({ written: false });
    expect(await makeSink().writeRow(row('call-dup'))).toEqual({ written: false });
    expect(fake.rows(SPREADSHEET)).toEqual([HEADER, cells(row('call-dup'))]);
    expect(sheetRequests('POST', ':append')).toHaveLength(1);
  });

  it('refuses a key the token endpoint does not know, and a key whose signature does not match', async () => {
    fake.createSpreadsheet(SPREADSHEET, ['Results']);
    const stranger = generateServiceAccount('stranger');
    const error = await makeSink({ credentials: stranger }).writeRow(row('call-x')).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(GoogleSheetsError);
    expect((error as GoogleSheetsError).retryable).toBe(false);
    expect((error as Error).message).toMatch(/invalid_grant: Invalid grant: account not found/);
    expect((error as Error).message).toContain(stranger.client_email);
    expect(fake.tokenRequests).toBe(1);
    expect(fake.tokensIssued).toBe(0);
    expect(fake.requests.filter((r) => r.path.startsWith('/v4/'))).toHaveLength(0);

    // Same email as the registered account, another private key: the signature check must catch it.
    const forged: GoogleServiceAccount = { ...generateServiceAccount(), client_email: account.client_email };
    await expect(makeSink({ credentials: forged }).writeRow(row('call-y'))).rejects.toThrow(/Invalid JWT Signature/);
    expect(fake.tokenRequests).toBe(2);
    expect(fake.tokensIssued).toBe(0);
    expect(fake.rows(SPREADSHEET)).toEqual([]);
  });

  it('retries a 429 (Retry-After: 0) and a 503 and ends with exactly one row', async () => {
    fake.createSpreadsheet(SPREADSHEET, ['Results']);
    fake.failNext({ method: 'POST', pathIncludes: ':append' }, { status: 429, headers: { 'retry-after': '0' } });
    fake.failNext({ method: 'GET', pathIncludes: '!B:B' }, { status: 503 });
    fake.failNext({ method: 'POST', pathIncludes: ':append' }, { status: 503 });

    const started = Date.now();
    expect(await makeSink().writeRow(row('call-r'))).toEqual({ written: true });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(fake.rows(SPREADSHEET)).toEqual([HEADER, cells(row('call-r'))]);
    expect(sheetRequests('POST', ':append')).toHaveLength(3);

    const failures = logRecords().filter((record) => record.msg === 'google sheets request failed');
    expect(failures.map((record) => [record.level, record.err_status, record.call_id, record.attempt, record.operation])).toEqual([
      ['error', 503, 'call-r', 1, 'values.get'], // the duplicate check before the first append
      ['error', 429, 'call-r', 1, 'values.append'],
      ['error', 503, 'call-r', 2, 'values.append'],
    ]);
    expect(failures[1]?.err_code).toBe('RESOURCE_EXHAUSTED');
    // Every append was preceded by a fresh duplicate check (3 appends, 1 failed + 3 good checks).
    expect(sheetRequests('GET', '!B:B')).toHaveLength(4);
  });

  it('waits what Retry-After says instead of its own backoff', async () => {
    fake.createSpreadsheet(SPREADSHEET, ['Results']);
    const sink = makeSink({ baseDelayMs: 20_000 });
    fake.failNext({ method: 'POST', pathIncludes: ':append' }, { status: 429, headers: { 'retry-after': '0' } });
    let started = Date.now();
    expect(await sink.writeRow(row('call-ra-0'))).toEqual({ written: true });
    expect(Date.now() - started).toBeLessThan(2_000);

    fake.failNext({ method: 'POST', pathIncludes: ':append' }, { status: 429, headers: { 'retry-after': '1' } });
    started = Date.now();
    expect(await sink.writeRow(row('call-ra-1'))).toEqual({ written: true });
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(950);
    expect(waited).toBeLessThan(5_000);
    expect(fake.rows(SPREADSHEET).map((r) => r[1])).toEqual(['call_id', 'call-ra-0', 'call-ra-1']);
  });

  it('after a lost append response re-checks first and never writes a second row', async () => {
    fake.createSpreadsheet(SPREADSHEET, ['Results']);
    fake.failNext({ method: 'POST', pathIncludes: ':append' }, 'drop-after-apply');

    expect(await makeSink().writeRow(row('call-lost'))).toEqual({ written: true });
    expect(fake.rows(SPREADSHEET)).toEqual([HEADER, cells(row('call-lost'))]);
    expect(sheetRequests('POST', ':append')).toHaveLength(1);
    expect(sheetRequests('GET', '!B:B')).toHaveLength(2);
    const failure = logRecords().find((record) => record.msg === 'google sheets request failed');
    expect(failure).toMatchObject({ level: 'error', err_status: null, call_id: 'call-lost', attempt: 1, operation: 'values.append' });
  });

  it('gets over a failing token endpoint (503) and a dropped connection to it', async () => {
    fake.createSpreadsheet(SPREADSHEET, ['Results']);
    fake.failNext({ method: 'POST', pathIncludes: '/token' }, { status: 503 });
    fake.failNext({ method: 'POST', pathIncludes: '/token' }, 'drop-after-apply');
    expect(await makeSink().writeRow(row('call-token'))).toEqual({ written: true });
    expect(fake.tokenRequests).toBe(3);
    expect(fake.rows(SPREADSHEET)).toEqual([HEADER, cells(row('call-token'))]);
  });

  it('gives up after maxAttempts with a retryable error', async () => {
    fake.createSpreadsheet(SPREADSHEET, ['Results']);
    for (let i = 0; i < 3; i += 1) fake.failNext({ method: 'POST', pathIncludes: ':append' }, { status: 500 });
    const error = await makeSink({ maxAttempts: 3 }).writeRow(row('call-500')).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(GoogleSheetsError);
    expect((error as GoogleSheetsError).retryable).toBe(true);
    expect((error as Error).message).toMatch(/values\.append still failing after 3 attempts \(last: 500 INTERNAL/);
    expect(sheetRequests('POST', ':append')).toHaveLength(3);
    expect(fake.rows(SPREADSHEET)).toEqual([HEADER]);
  });

  it('403: says to share the spreadsheet with the service account and does not retry', async () => {
    fake.createSpreadsheet(SPREADSHEET, ['Results'], { sharedWith: ['someone-else@example.com'] });
    const error = await makeSink().writeRow(row('call-403')).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(GoogleSheetsError);
    expect((error as GoogleSheetsError).status).toBe(403);
    expect((error as GoogleSheetsError).retryable).toBe(false);
    expect((error as Error).message).toContain(`share the spreadsheet with ${account.client_email}`);
    expect(fake.requests.filter((r) => r.path.startsWith('/v4/'))).toHaveLength(1);
    expect(logRecords().filter((record) => record.msg === 'google sheets request failed')).toEqual([
      expect.objectContaining({ level: 'error', err_status: 403, call_id: 'call-403', attempt: 1, err_code: 'PERMISSION_DENIED' }),
    ]);

    // A 403 injected on the append (e.g. a protected range) gets the same advice.
    fake.createSpreadsheet(SPREADSHEET, ['Results']);
    fake.failNext({ method: 'POST', pathIncludes: ':append' }, { status: 403 });
    await expect(makeSink().writeRow(row('call-403b'))).rejects.toThrow(`share the spreadsheet with ${account.client_email}`);
    expect(sheetRequests('POST', ':append')).toHaveLength(1);
  });

  it('404 and an unknown sheet name: errors that say what to fix', async () => {
    await expect(makeSink().writeRow(row('call-404'))).rejects.toThrow(/was not found .*check GOOGLE_SHEETS_SPREADSHEET_ID/);
    fake.createSpreadsheet(SPREADSHEET, ['Results', 'Другой']);
    await expect(makeSink({ sheetName: 'Missing' }).writeRow(row('call-404'))).rejects.toThrow(
      'Sheet "Missing" is not in spreadsheet 1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_results (sheets: "Results", "Другой"): fix GOOGLE_SHEETS_SHEET_NAME',
    );
  });

  it('never logs the private key or the access token', async () => {
    fake.createSpreadsheet(SPREADSHEET, ['Results']);
    fake.failNext({ method: 'GET', pathIncludes: 'A1:H1' }, { status: 429, headers: { 'retry-after': '0' } });
    fake.failNext({ method: 'POST', pathIncludes: ':append' }, 'drop-after-apply');
    await makeSink().writeRow(row('call-secret'));
    fake.failNext({ method: 'POST', pathIncludes: ':append' }, { status: 403 });
    await expect(makeSink().writeRow(row('call-secret-2'))).rejects.toThrow(GoogleSheetsError);
    await expect(makeSink({ credentials: { ...generateServiceAccount(), client_email: account.client_email } }).writeRow(row('c3'))).rejects.toThrow();

    const output = logLines.join('');
    expect(logRecords().filter((record) => record.msg === 'google sheets request failed').length).toBeGreaterThanOrEqual(4);
    const keyBody = account.private_key.split('\n')[5] ?? 'missing';
    expect(keyBody.length).toBeGreaterThan(40);
    expect(output).not.toContain(keyBody);
    expect(output).not.toContain('PRIVATE KEY');
    expect(output).not.toContain('[REDACTED]'); // not even an attempt the logger had to scrub
    expect(output).not.toMatch(/ya29\.fake-|Bearer/);
  });
});
