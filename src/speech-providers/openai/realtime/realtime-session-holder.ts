import { SpeechProviderError, type SpeechStage } from '../../provider-error';
import { OPENAI } from '../openai-errors';
import type { RealtimeConnection } from './realtime-connection';

/**
 * The Realtime session of one call: opened once (at the answer), opened again on demand after it
 * dropped, closed with the call. Listeners learn of every new connection (to subscribe and to
 * resend what the old one lost) and of every loss.
 */
export class RealtimeSessionHolder {
  private connection: RealtimeConnection | null = null;
  private opening: Promise<RealtimeConnection> | null = null;
  private readonly ended = new AbortController();
  private closed = false;
  private opened = 0;
  private readonly openedListeners = new Set<(connection: RealtimeConnection, reopened: boolean) => void>();
  private readonly lostListeners = new Set<(error: SpeechProviderError) => void>();

  constructor(
    private readonly stage: SpeechStage,
    /** Opens and configures a new session; aborting `signal` drops a handshake in progress. */
    private readonly open: (signal: AbortSignal) => Promise<RealtimeConnection>,
  ) {}

  /** The open session, or null while there is none. */
  get current(): RealtimeConnection | null {
    return this.connection?.isOpen ? this.connection : null;
  }

  /** How many sessions were opened so far (more than one: it dropped and was opened again). */
  get sessionsOpened(): number {
    return this.opened;
  }

  /** The open session, opening one if there is none. */
  connect(): Promise<RealtimeConnection> {
    if (this.closed) return Promise.reject(new SpeechProviderError({ kind: 'cancelled', stage: this.stage, provider: OPENAI, message: `${this.stage}: the call has ended`, retryable: false }));
    const open = this.current;
    if (open) return Promise.resolve(open);
    if (this.opening) return this.opening;
    const opening = this.open(this.ended.signal);
    this.opening = opening;
    opening.then(
      (connection) => {
        if (this.opening !== opening || this.closed) {
          connection.close();
          return;
        }
        this.opening = null;
        this.connection = connection;
        this.opened += 1;
        connection.onClose((error) => {
          if (this.connection !== connection) return;
          this.connection = null;
          if (!this.closed) for (const listener of [...this.lostListeners]) listener(error);
        });
        for (const listener of [...this.openedListeners]) listener(connection, this.opened > 1);
      },
      (err: unknown) => {
        if (this.opening !== opening) return;
        this.opening = null;
        const error = err instanceof SpeechProviderError ? err : new SpeechProviderError({ kind: 'connection', stage: this.stage, provider: OPENAI, message: String(err), retryable: true });
        if (!this.closed) for (const listener of [...this.lostListeners]) listener(error);
      },
    );
    return opening;
  }

  onOpened(listener: (connection: RealtimeConnection, reopened: boolean) => void): void {
    this.openedListeners.add(listener);
  }

  /** A session that could not be opened, or dropped. */
  onLost(listener: (error: SpeechProviderError) => void): void {
    this.lostListeners.add(listener);
  }

  /** Drops the current session (its conversation with it); the next `connect` opens a new one. */
  restart(): void {
    const connection = this.connection;
    this.connection = null;
    this.opening = null;
    connection?.close();
  }

  close(): void {
    this.closed = true;
    this.ended.abort(); // a handshake still under way is dropped, not waited for
    this.opening = null;
    this.connection?.close();
    this.connection = null;
  }
}
