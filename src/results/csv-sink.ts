import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../logging/logger';
import { RESULT_COLUMNS, rowValues, type ResultRow } from './result-row';
import type { ResultsSink } from './results-sink';
import { oneAtATime } from './one-at-a-time';

/** RFC 4180 line ending. */
const EOL = '\r\n';

/** One CSV field: quoted when it holds a comma, a quote, a line break or edge whitespace. */
export function csvField(value: string | number): string {
  const text = String(value);
  if (/[",\r\n]/.test(text) || /^\s|\s$/.test(text)) return `"${text.replace(/"/g, '""')}"`;
  return text;
}

export function csvLine(values: readonly (string | number)[]): string {
  return values.map(csvField).join(',') + EOL;
}

/** RFC 4180 parser: quoted fields with "" escapes, CRLF / LF / CR line ends, a leading BOM tolerated. */
export function parseCsv(input: string): string[][] {
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let inQuotes = false;
  let fieldStarted = false;
  const endField = () => {
    record.push(field);
    field = '';
    fieldStarted = false;
  };
  const endRecord = () => {
    endField();
    records.push(record);
    record = [];
  };
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i];
    if (inQuotes) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 1;
        } else {
          inQuotes = false;
        }
      } else {
        field += ch;
      }
      continue;
    }
    if (ch === '"' && !fieldStarted && field === '') {
      inQuotes = true;
      fieldStarted = true;
    } else if (ch === ',') {
      endField();
    } else if (ch === '\r' || ch === '\n') {
      if (ch === '\r' && text[i + 1] === '\n') i += 1;
      endRecord();
    } else {
      field += ch;
      fieldStarted = true;
    }
  }
  if (inQuotes || fieldStarted || field !== '' || record.length > 0) endRecord();
  return records;
}

/** Reads a results CSV into objects keyed by the header row; a missing file reads as no rows. */
export async function readCsvRows(path: string): Promise<Record<string, string>[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const [header, ...records] = parseCsv(text);
  if (!header) return [];
  return records
    .filter((record) => !(record.length === 1 && record[0] === ''))
    .map((record) => Object.fromEntries(header.map((column, index) => [column, record[index] ?? ''])));
}

export interface CsvResultsSinkOptions {
  path: string;
  logger: Logger;
}

/**
 * Results in a local CSV file (UTF-8, RFC 4180, spec column order), used when Google Sheets is not
 * configured. Idempotent per call_id: the file is read before each append and a row whose call_id is
 * already there is not written again. Writes from this process are serialised so two appends never
 * interleave (several processes appending to one file are not coordinated).
 */
export class CsvResultsSink implements ResultsSink {
  readonly kind = 'csv';
  private readonly path: string;
  private readonly logger: Logger;

  constructor(options: CsvResultsSinkOptions) {
    this.path = options.path;
    this.logger = options.logger;
  }

  readonly writeRow: (row: ResultRow) => Promise<{ written: boolean }> = oneAtATime((row: ResultRow) => this.writeNow(row));

  private async writeNow(row: ResultRow): Promise<{ written: boolean }> {
    const callId = String(row.call_id);
    await mkdir(dirname(this.path), { recursive: true });
    let existing = '';
    try {
      existing = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }

    let out = '';
    if (existing.replace(/^\uFEFF/, '').trim() === '') {
      out += csvLine(RESULT_COLUMNS);
    } else {
      const [header, ...records] = parseCsv(existing);
      const found = header?.indexOf('call_id') ?? -1;
      const callIdIndex = found >= 0 ? found : RESULT_COLUMNS.indexOf('call_id');
      if (records.some((record) => record[callIdIndex] === callId)) {
        this.logger.info({ call_id: callId, path: this.path }, 'result row already in the CSV file; not written again');
        return { written: false };
      }
      // A previous process may have died mid-line: start ours on a fresh line.
      if (!existing.endsWith('\n') && !existing.endsWith('\r')) out += EOL;
    }
    out += csvLine(rowValues(row));
    await appendFile(this.path, out, 'utf8');
    this.logger.info({ call_id: callId, path: this.path }, 'result row written to the CSV file');
    return { written: true };
  }
}
