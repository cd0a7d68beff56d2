import type { CallSession } from '../domain/call-session';

/** Spec 7.2: the fixed columns of the results sheet, in this order. */
export const RESULT_COLUMNS = [
  'timestamp',
  'call_id',
  'phone',
  'status',
  'final_disposition',
  'duration_sec',
  'short_summary',
  'transcript',
] as const;

export type ResultRow = Record<(typeof RESULT_COLUMNS)[number], string | number>;

/** Timestamps in the sheet are Moscow time (UTC+3, no DST), the analysts' clock; the offset is written out. */
export const RESULTS_TIME_ZONE = 'Europe/Moscow';

export function formatMoscowTimestamp(iso: string): string {
  const date = new Date(iso);
  const moscow = new Date(date.getTime() + 3 * 3600_000);
  return `${moscow.toISOString().slice(0, 19).replace('T', ' ')} +03:00`;
}

/** Turns are joined with " | " and prefixed by who spoke, so a cell reads like a dialog. */
export function formatTranscript(session: Pick<CallSession, 'transcript'>): string {
  return session.transcript
    .map((turn) => {
      const who = turn.speaker === 'assistant' ? 'Оператор' : 'Абонент';
      return `${who}: ${turn.text}${turn.interrupted ? ' [перебит]' : ''}`;
    })
    .join(' | ');
}

export function toResultRow(session: CallSession): ResultRow {
  // Spec 7.3: a call that did not connect (no_answer / failed) has disposition unknown and duration 0.
  const answered = session.status === 'completed';
  return {
    timestamp: formatMoscowTimestamp(session.ended_at ?? session.created_at),
    call_id: session.id,
    phone: session.phone,
    status: session.status,
    final_disposition: answered ? session.final_disposition : 'unknown',
    duration_sec: answered ? (session.duration_sec ?? 0) : 0,
    short_summary: session.short_summary ?? '',
    transcript: formatTranscript(session),
  };
}

export function rowValues(row: ResultRow): (string | number)[] {
  return RESULT_COLUMNS.map((column) => row[column]);
}
