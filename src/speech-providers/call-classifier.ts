import type { DialogTurn } from '../domain/call-session';

export type ClassifiedDisposition = 'interested' | 'not_interested' | 'call_later' | 'neutral';

export interface CallOutcome {
  final_disposition: ClassifiedDisposition;
  /** 1-2 sentences in Russian. */
  short_summary: string;
}

/** Spec 6.2: the post-call classification over the whole transcript. Failures throw `SpeechProviderError`. */
export interface CallClassifier {
  readonly provider: string;
  readonly model: string;
  classify(transcript: readonly DialogTurn[], options?: { signal?: AbortSignal }): Promise<CallOutcome>;
}
