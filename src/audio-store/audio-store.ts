/**
 * Where finished utterances (and later recordings) live, so the workflow only ever carries a
 * reference, never audio bytes. The local folder is the default; an S3-compatible store can
 * implement the same interface.
 */
export interface AudioRef {
  /** Opaque key, e.g. `<call_id>/<utterance id>.wav`. */
  key: string;
  durationMs: number;
  bytes: number;
}

export interface AudioStore {
  readonly kind: string;
  put(key: string, wav: Buffer, durationMs: number): Promise<AudioRef>;
  get(key: string): Promise<Buffer>;
  /** Removes everything of one call (retention). */
  deleteCall(callId: string): Promise<void>;
}
