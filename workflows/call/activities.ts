import { ActivityCancellationType, proxyActivities } from '@temporalio/workflow';
import type { GeneralActivities } from '../../activities';
import type { MediaActivities } from '../../activities/media-activities';
import type { SipDialActivities } from '../../activities/sip-dial-activities';
import { PROVIDER_REJECTED } from '../../src/speech-providers/provider-error';
import { DEFAULT_MEDIA_TIMEOUTS, type MediaTimeouts } from '../definitions';

/**
 * Where each activity of a call runs, and its time limits and retries. Temporal's retry policies
 * are the only retries of a provider request (the provider clients never retry by themselves);
 * errors are named by provider-neutral types (`ProviderUnavailable`, `ProviderRejected`).
 */

/** Talking to the provider's API from the general worker: quick calls, retried a few times. */
export const telephony = proxyActivities<GeneralActivities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '300 milliseconds', maximumInterval: '3 seconds', maximumAttempts: 4 },
});

/** A text-mode turn (the simulated text callee): the model's reply. */
export const textTurn = proxyActivities<GeneralActivities>({
  startToCloseTimeout: '25 seconds',
  retry: { initialInterval: '200 milliseconds', maximumAttempts: 2, nonRetryableErrorTypes: [PROVIDER_REJECTED] },
});

/** After the call nobody waits on the line, so retry longer; the heartbeat lets a killed worker's attempt be retried within seconds. */
export const postCall = proxyActivities<GeneralActivities>({
  startToCloseTimeout: '30 seconds',
  heartbeatTimeout: '5 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 5, nonRetryableErrorTypes: [PROVIDER_REJECTED] },
});

/** The results row must land: retried for about ten minutes, then the local fallback file takes it. */
export const resultsRow = proxyActivities<GeneralActivities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '5 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 8 },
});
export const resultsFallback = proxyActivities<GeneralActivities>({
  startToCloseTimeout: '30 seconds',
  heartbeatTimeout: '5 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' }, // unlimited: a local file
});

export function mediaTimeoutsOf(overrides: Partial<MediaTimeouts> | undefined): MediaTimeouts {
  return { ...DEFAULT_MEDIA_TIMEOUTS, ...overrides };
}

/**
 * The media activities of one call, on the queue of the gateway that carries it. Each heartbeats:
 * a cancel (hang-up) reaches it at once and a gateway that dies is noticed by the heartbeat timeout
 * (or, between turns, by the schedule-to-start timeout of the next one).
 */
export function mediaActivitiesOn(taskQueue: string, timeouts: MediaTimeouts) {
  const base = {
    taskQueue,
    heartbeatTimeout: `${timeouts.heartbeatSec} seconds`,
    scheduleToStartTimeout: `${timeouts.scheduleToStartSec} seconds`,
    // A cancelled turn reports what was already said (its CancelledFailure details).
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  } as const;
  return {
    /** A line said word for word: not retried (it may have been partly heard). */
    line: proxyActivities<MediaActivities>({ ...base, startToCloseTimeout: '60 seconds', retry: { maximumAttempts: 1 } }),
    /** A voice turn: one more attempt when the provider was unavailable before anything was said. */
    turn: proxyActivities<MediaActivities>({
      ...base,
      startToCloseTimeout: '60 seconds',
      retry: { initialInterval: '200 milliseconds', maximumAttempts: 2, nonRetryableErrorTypes: [PROVIDER_REJECTED, 'MediaLegGone', 'Superseded'] },
    }),
    /** Runs for the whole dialog: ends when the media leg stops. */
    watch: proxyActivities<MediaActivities>({
      ...base,
      cancellationType: ActivityCancellationType.TRY_CANCEL,
      startToCloseTimeout: '2 hours',
      retry: { maximumAttempts: 1 },
    }),
    control: proxyActivities<MediaActivities>({ ...base, startToCloseTimeout: '10 seconds', retry: { maximumAttempts: 3 } }),
  };
}

/** SIP trunks: a gateway with a trunk takes the dial from the queue all of them share. */
export function sipDialerOn(taskQueue: string, timeouts: MediaTimeouts) {
  return proxyActivities<SipDialActivities>({
    taskQueue,
    startToCloseTimeout: '15 seconds',
    scheduleToStartTimeout: `${timeouts.scheduleToStartSec * 2} seconds`,
    retry: { maximumAttempts: 1 },
  });
}
