import { createDialogActivities, type DialogActivityDeps } from './dialog-activities';
import { createResultsActivities, type ResultsActivityDeps } from './results-activities';
import { createTelephonyActivities, type TelephonyActivityDeps } from './telephony-activities';
import { createSpokenReplyActivities } from './spoken-reply-activities';
import { createVoiceActivities, type VoiceActivityDeps } from './voice-activities';

export type ActivityDeps = TelephonyActivityDeps & DialogActivityDeps & ResultsActivityDeps & VoiceActivityDeps;

/** All activities of the call, bound to their clients (the worker builds the clients once). */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createTelephonyActivities(deps),
    ...createDialogActivities(deps),
    ...createResultsActivities(deps),
    ...createVoiceActivities(deps),
    ...createSpokenReplyActivities(deps),
  };
}

export type CallActivities = ReturnType<typeof createActivities>;
