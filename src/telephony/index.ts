import type { AppConfig } from '../config/env';
import type { Logger } from '../logging/logger';
import { parseSimulatedConfig } from './simulated/callee-behaviours';
import { SimulatedTelephony } from './simulated/simulated-telephony';
import type { TelephonyAdapter } from './telephony-adapter';

export type { TelephonyAdapter } from './telephony-adapter';

export interface TelephonyDeps {
  config: AppConfig;
  logger: Logger;
  /** Where the callee's recognised phrases go (signals to the call's workflow). */
  onCalleePhrase: (callId: string, text: string) => Promise<void>;
}

/** Picks the provider named by TELEPHONY_PROVIDER; the rest of the service never knows which. */
export function createTelephonyAdapter({ config, logger, onCalleePhrase }: TelephonyDeps): TelephonyAdapter {
  switch (config.env.TELEPHONY_PROVIDER) {
    case 'simulated':
      return new SimulatedTelephony({
        eventsUrl: `${config.publicBaseUrl}/telephony/events`,
        webhookSecret: config.webhookSecret,
        config: parseSimulatedConfig(config.env.TELEPHONY_CONFIG),
        logger: logger.child({ provider: 'simulated' }),
        onCalleePhrase,
      });
  }
}
