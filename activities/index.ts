import { createDialogActivities, type DialogActivityDeps } from './dialog-activities';
import { createResultsActivities, type ResultsActivityDeps } from './results-activities';
import { createTelephonyActivities, type TelephonyActivityDeps } from './telephony-activities';

export type GeneralActivityDeps = TelephonyActivityDeps & DialogActivityDeps & ResultsActivityDeps;

/**
 * The general worker's activities: everything without the call's audio (the provider's API, the
 * text-mode reply, classification, the results row, the call-slot queue). The media activities run
 * on the gateways (`media-activities.ts`, `sip-dial-activities.ts`).
 */
export function createGeneralActivities(deps: GeneralActivityDeps) {
  return {
    ...createTelephonyActivities(deps),
    ...createDialogActivities(deps),
    ...createResultsActivities(deps),
  };
}

export type GeneralActivities = ReturnType<typeof createGeneralActivities>;
export type { MediaActivities } from './media-activities';
export type { SipDialActivities } from './sip-dial-activities';
