import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../src/logging/logger';
import { CsvResultsSink, parseCsv, readCsvRows } from '../../src/results/csv-sink';
import { RESULT_COLUMNS, type ResultRow } from '../../src/results/result-row';

const HEADER_LINE = 'timestamp,call_id,phone,status,final_disposition,duration_sec,short_summary,transcript';

function row(callId: string, overrides: Partial<ResultRow> = {}): ResultRow {
  return {
    timestamp: '2025-03-01 15:04:05 +03:00',
    call_id: callId,
    phone: '+79991234567',
    status: 'completed',
    final_disposition: 'interested',
    duration_sec: 42,
    short_summary: 'Клиент заинтересован',
    transcript: 'Оператор: Здравствуйте | Абонент: Да',
    ...overrides,
  };
}

describe('CsvResultsSink', () => {
  let dir: string;
  let logLines: string[];
  const logger = () => createLogger({ destination: { write: (line: string) => void logLines.push(line) } });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'csv-sink-'));
    logLines = [];
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the parent directory and writes the header once, in spec column order', async () => {
    const path = join(dir, 'nested', 'deeper', 'results.csv');
    const sink = new CsvResultsSink({ path, logger: logger() });
    expect(sink.kind).toBe('csv');

    expect(await sink.writeRow(row('call-1'))).toEqual({ written: true });
    expect(await sink.writeRow(row('call-2', { duration_sec: 7 }))).toEqual({ written: true });
    // A new sink (a restarted process) on the same file must not add a second header.
    expect(await new CsvResultsSink({ path, logger: logger() }).writeRow(row('call-3'))).toEqual({ written: true });

    const text = await readFile(path, 'utf8');
    const lines = text.split('\r\n');
    expect(lines[0]).toBe(HEADER_LINE);
    expect(lines.filter((line) => line === HEADER_LINE)).toHaveLength(1);
    expect(lines[1]).toBe('2025-03-01 15:04:05 +03:00,call-1,+79991234567,completed,interested,42,Клиент заинтересован,Оператор: Здравствуйте | Абонент: Да');
    expect(lines).toHaveLength(5); // header, 3 rows, '' after the final CRLF

    const rows = await readCsvRows(path);
    expect(rows.map((r) => r.call_id)).toEqual(['call-1', 'call-2', 'call-3']);
    expect(Object.keys(rows[0] ?? {})).toEqual([...RESULT_COLUMNS]);
    expect(rows[1]?.duration_sec).toBe('7');
  });

  it('quotes commas, quotes, line breaks and keeps Cyrillic as UTF-8 (round trip)', async () => {
    const path = join(dir, 'results.csv');
    const sink = new CsvResultsSink({ path, logger: logger() });
    const tricky = row('call-q', {
      short_summary: 'Перезвонить завтра, после 18:00; сказал "дорого"',
      transcript: 'Оператор: Здравствуйте, это "Ромашка"\nАбонент: Да,\r\nслушаю | Оператор: ""',
      phone: ' +7 999 123-45-67 ',
    });
    expect(await sink.writeRow(tricky)).toEqual({ written: true });

    const raw = await readFile(path);
    expect(raw.includes(Buffer.from('Ромашка', 'utf8'))).toBe(true);
    const text = raw.toString('utf8');
    expect(text).toContain('"Перезвонить завтра, после 18:00; сказал ""дорого"""');
    expect(text).toContain('"Оператор: Здравствуйте, это ""Ромашка""\nАбонент: Да,\r\nслушаю | Оператор: """""');
    expect(text).toContain('," +7 999 123-45-67 ",');

    const [back] = await readCsvRows(path);
    expect(back).toEqual({
      timestamp: '2025-03-01 15:04:05 +03:00',
      call_id: 'call-q',
      phone: ' +7 999 123-45-67 ',
      status: 'completed',
      final_disposition: 'interested',
      duration_sec: '42',
      short_summary: 'Перезвонить завтра, после 18:00; сказал "дорого"',
      transcript: 'Оператор: Здравствуйте, это "Ромашка"\nАбонент: Да,\r\nслушаю | Оператор: ""',
    });
  });

  it('never writes a second row for the same call_id', async () => {
    const path = join(dir, 'results.csv');
    const sink = new CsvResultsSink({ path, logger: logger() });
    expect(await sink.writeRow(row('call-dup', { transcript: 'a,\nb' }))).toEqual({ written: true });
    expect(await sink.writeRow(row('call-dup', { short_summary: 'changed' }))).toEqual({ written: false });
    expect(await new CsvResultsSink({ path, logger: logger() }).writeRow(row('call-dup'))).toEqual({ written: false });
    // The same id three times at once: still one row.
    const results = await Promise.all([1, 2, 3].map(() => sink.writeRow(row('call-dup-2'))));
    expect(results.filter((r) => r.written)).toHaveLength(1);

    const rows = await readCsvRows(path);
    expect(rows.map((r) => r.call_id)).toEqual(['call-dup', 'call-dup-2']);
    expect(rows[0]?.short_summary).toBe('Клиент заинтересован');
    expect(logLines.some((line) => line.includes('"call_id":"call-dup"') && line.includes('not written again'))).toBe(true);
  });

  it('serialises concurrent writes: 10 calls at once give 10 whole rows and one header', async () => {
    const path = join(dir, 'results.csv');
    const sink = new CsvResultsSink({ path, logger: logger() });
    const ids = Array.from({ length: 10 }, (_, i) => `call-${i}`);
    const results = await Promise.all(ids.map((id, i) => sink.writeRow(row(id, { transcript: `Абонент: строка ${i},\nвторая "строка"`, duration_sec: i }))));
    expect(results).toEqual(ids.map(() => ({ written: true })));

    const text = await readFile(path, 'utf8');
    expect(text.split(HEADER_LINE)).toHaveLength(2);
    const rows = await readCsvRows(path);
    expect(rows).toHaveLength(10);
    expect(rows.map((r) => r.call_id).sort()).toEqual([...ids].sort());
    for (const r of rows) {
      const i = Number(r.call_id?.slice('call-'.length));
      expect(r.duration_sec).toBe(String(i));
      expect(r.transcript).toBe(`Абонент: строка ${i},\nвторая "строка"`);
    }
  });

  it('starts a fresh line after a partly written last line and survives a write error', async () => {
    const path = join(dir, 'results.csv');
    await writeFile(path, `${HEADER_LINE}\r\n2025-01-01 00:00:00 +03:00,call-old,+7,failed,unknown,0,,`);
    const sink = new CsvResultsSink({ path, logger: logger() });
    expect(await sink.writeRow(row('call-new'))).toEqual({ written: true });
    expect(await sink.writeRow(row('call-old'))).toEqual({ written: false });
    expect((await readCsvRows(path)).map((r) => r.call_id)).toEqual(['call-old', 'call-new']);

    // A failing write (the path is a directory) rejects that call only; the queue keeps going.
    const broken = new CsvResultsSink({ path: dir, logger: logger() });
    await expect(broken.writeRow(row('x'))).rejects.toThrow(/EISDIR/);
    await expect(broken.writeRow(row('y'))).rejects.toThrow(/EISDIR/);
  });

  it('readCsvRows returns [] for a missing file; parseCsv handles RFC 4180 details', async () => {
    expect(await readCsvRows(join(dir, 'missing.csv'))).toEqual([]);
    expect(parseCsv('\uFEFFa,b\r\n"x,1","y ""q"""\n"",\r\nlast,"multi\nline"')).toEqual([
      ['a', 'b'],
      ['x,1', 'y "q"'],
      ['', ''],
      ['last', 'multi\nline'],
    ]);
  });
});
