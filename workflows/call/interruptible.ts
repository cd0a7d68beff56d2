import { ActivityFailure, CancelledFailure, CancellationScope, condition } from '@temporalio/workflow';

export type StepOutcome<T> =
  | { kind: 'done'; value: T }
  | { kind: 'failed'; error: unknown }
  /** Stopped from outside; `partial` is what a cancelled media activity reported it had done. */
  | { kind: 'interrupted'; partial?: T };

/**
 * Runs a step unless `stopWhen` becomes true first (hang-up, lost media, a superseded phrase); then
 * the step is cancelled. With `awaitCancelled` the workflow waits for the cancelled activity to stop
 * and collects what it reports it had already done (the words already played).
 */
export async function unlessInterrupted<T>(step: () => Promise<T>, stopWhen: () => boolean, awaitCancelled: () => boolean = () => false): Promise<StepOutcome<T>> {
  if (stopWhen()) return { kind: 'interrupted' };
  const stepScope = new CancellationScope();
  const watchScope = new CancellationScope();
  const work = stepScope.run(step).then(
    (value) => ({ kind: 'done' as const, value }),
    (error: unknown) => ({ kind: 'failed' as const, error }),
  );
  const watch = watchScope.run(() => condition(stopWhen)).then(
    () => ({ kind: 'interrupted' as const }),
    () => null,
  );
  const first = await Promise.race([work, watch]);
  if (first?.kind !== 'interrupted') {
    watchScope.cancel();
    return first ?? (await work);
  }
  stepScope.cancel();
  if (!awaitCancelled()) return first;
  const settled = await work;
  if (settled.kind === 'done') return settled;
  const partial = cancelledDetails<T>(settled.kind === 'failed' ? settled.error : undefined);
  return partial === undefined ? first : { kind: 'interrupted', partial };
}

/** The first detail of an activity's CancelledFailure: what it had done when it was cancelled. */
function cancelledDetails<T>(err: unknown): T | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof CancelledFailure && cause.details.length > 0) return cause.details[0] as T;
  return undefined;
}

/** The provider's own message rather than Temporal's "Activity task failed" wrapper. */
export function causeOf(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}
