import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/env';
import { createLogger } from '../../src/logging/logger';
import { CsvResultsSink, GoogleSheetsSink, createResultsSink, readCsvRows } from '../../src/results';
import { generateServiceAccount } from '../fakes/fake-google';

describe('createResultsSink', () => {
  let dir: string;
  let logLines: string[];
  const logger = () => createLogger({ destination: { write: (line: string) => void logLines.push(line) } });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'results-sink-'));
    logLines = [];
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('uses the CSV file when Google Sheets is not configured, and says so', async () => {
    const path = join(dir, 'out', 'results.csv');
    const sink = createResultsSink(loadConfig({ RESULTS_CSV_PATH: path }), logger());
    expect(sink).toBeInstanceOf(CsvResultsSink);
    expect(sink.kind).toBe('csv');
    const record = JSON.parse(logLines[0] ?? '{}') as Record<string, unknown>;
    expect(record).toMatchObject({ level: 'info', results_sink: 'csv', path });
    expect(record.msg).toContain('Google Sheets is not configured');

    await sink.writeRow({ timestamp: 't', call_id: 'c1', phone: '+7', status: 'failed', final_disposition: 'unknown', duration_sec: 0, short_summary: '', transcript: '' });
    expect((await readCsvRows(path)).map((r) => r.call_id)).toEqual(['c1']);
  });

  it('uses Google Sheets when a spreadsheet id and a service account are configured', () => {
    const account = generateServiceAccount();
    const config = loadConfig({ GOOGLE_SHEETS_SPREADSHEET_ID: 'sheet-123', GOOGLE_SHEETS_SHEET_NAME: 'Calls', GOOGLE_CREDENTIALS_JSON: JSON.stringify(account) });
    const sink = createResultsSink(config, logger());
    expect(sink).toBeInstanceOf(GoogleSheetsSink);
    expect(sink.kind).toBe('google_sheets');
    const record = JSON.parse(logLines[0] ?? '{}') as Record<string, unknown>;
    expect(record).toMatchObject({ level: 'info', results_sink: 'google_sheets', spreadsheet_id: 'sheet-123', sheet: 'Calls', service_account: account.client_email });
    expect(logLines.join('')).not.toContain('PRIVATE KEY');
  });
});
