/**
 * Runs calls of `task` one after another in this process, so two rows never interleave and the
 * duplicate check of one write sees the row of the previous one. A failure rejects only its call.
 */
export function oneAtATime<A extends unknown[], R>(task: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  let tail: Promise<unknown> = Promise.resolve();
  return (...args: A) => {
    const result = tail.then(() => task(...args));
    tail = result.catch(() => undefined);
    return result;
  };
}
