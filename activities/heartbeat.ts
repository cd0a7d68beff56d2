import { Context } from '@temporalio/activity';

/**
 * Heartbeats the running activity now and every `everyMs` until the returned stop is called: a
 * cancel reaches it with a heartbeat, and a worker or gateway that dies is noticed by the
 * activity's heartbeat timeout.
 */
export function startHeartbeats(everyMs: number): () => void {
  const ctx = Context.current();
  ctx.heartbeat();
  const beat = setInterval(() => ctx.heartbeat(), everyMs);
  return () => clearInterval(beat);
}
