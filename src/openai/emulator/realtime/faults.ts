import type { ClientEventType } from './client-events';

/** Client events whose arrival can drop the WebSocket (a session lost mid-call). */
export type RealtimeDropOn = 'input_audio_buffer.commit' | 'response.create' | 'session.update' | 'input_audio_buffer.append';

/**
 * Faults of the emulated Realtime API. Each applies to the next matching event(s), `times` of them
 * (default 1), across all sessions of the emulator.
 */
export type RealtimeFault =
  /** Terminates the WebSocket abruptly (no close frame) when that client event arrives. */
  | { kind: 'drop'; on: RealtimeDropOn; times?: number }
  /** Answers that client event with an `error` event (type server_error) instead of handling it. */
  | { kind: 'error'; on: ClientEventType; code?: string; message?: string; times?: number }
  /**
   * The next out-of-band read-aloud says other words: `replace` [from, to] swaps a word (the last
   * word when `from` is not in the text); by default the last word becomes another Russian word.
   * The output transcript reports what was actually said.
   */
  | { kind: 'misread'; replace?: readonly [string, string]; times?: number }
  /** Refuses the next WebSocket upgrade with this HTTP status. */
  | { kind: 'refuse'; status: number; times?: number };

type FaultOf<K extends RealtimeFault['kind']> = Extract<RealtimeFault, { kind: K }>;

export class RealtimeFaults {
  private readonly entries: { fault: RealtimeFault; remaining: number }[] = [];

  inject(fault: RealtimeFault): void {
    this.entries.push({ fault, remaining: Math.max(1, fault.times ?? 1) });
  }

  clear(): void {
    this.entries.length = 0;
  }

  /** Takes (counts down) the first fault of that kind that matches. */
  take<K extends RealtimeFault['kind']>(kind: K, matches: (fault: FaultOf<K>) => boolean = () => true): FaultOf<K> | undefined {
    const index = this.entries.findIndex((entry) => entry.fault.kind === kind && matches(entry.fault as FaultOf<K>));
    const entry = this.entries[index];
    if (!entry) return undefined;
    entry.remaining -= 1;
    if (entry.remaining <= 0) this.entries.splice(index, 1);
    return entry.fault as FaultOf<K>;
  }
}

/** Words a default misread may say instead of the last word (two, so one always differs). */
const MISREAD_WORDS = ['пятницу', 'субботу'] as const;
const WORD_AT_END = /^(.*?)([\p{L}\p{N}][\p{L}\p{N}-]*)([^\p{L}\p{N}]*)$/su;

/** The text as the misreading "model" says it. */
export function misread(text: string, fault: FaultOf<'misread'>): string {
  const [from, to] = fault.replace ?? [undefined, undefined];
  if (from !== undefined && to !== undefined) {
    const pattern = new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(from)}(?![\\p{L}\\p{N}])`, 'iu');
    if (pattern.test(text)) return text.replace(pattern, to);
  }
  const match = WORD_AT_END.exec(text.trimEnd());
  if (!match) return to ?? MISREAD_WORDS[0];
  const [, head = '', last = '', tail = ''] = match;
  const replacement = to ?? MISREAD_WORDS.find((word) => word.toLowerCase() !== last.toLowerCase()) ?? MISREAD_WORDS[0];
  return `${head}${replacement}${tail}`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
