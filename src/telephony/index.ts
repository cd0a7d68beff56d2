import type { AppConfig } from '../config/env';
import type { Logger } from '../logging/logger';
import { parseSimulatedConfig } from './simulated/callee-behaviours';
import { SimulatedTelephony } from './simulated/simulated-telephony';
import { RemoteSimulatedTelephony } from './simulated/remote-simulated-telephony';
import type { TelephonyAdapter } from './telephony-adapter';
import { mediaStreamUrl } from '../media-gateway/media-token';
import { VoximplantTelephony } from './voximplant/voximplant-telephony';

export type { TelephonyAdapter } from './telephony-adapter';

export interface TelephonyDeps {
  config: AppConfig;
  logger: Logger;
  /** Where the callee's recognised phrases go (signals to the call's workflow). */
  onCalleePhrase: (callId: string, text: string) => Promise<void>;
}

/**
 * Picks the provider named by TELEPHONY_PROVIDER; the rest of the service never knows which.
 * Null for a SIP trunk: it has no call-control API, a media gateway dials it.
 */
export function createTelephonyAdapter({ config, logger, onCalleePhrase }: TelephonyDeps): TelephonyAdapter | null {
  switch (config.env.TELEPHONY_PROVIDER) {
    case 'simulated':
    case 'simulated-text': {
      const simulated = parseSimulatedConfig(config.env.TELEPHONY_CONFIG);
      if (simulated.providerUrl) {
        return new RemoteSimulatedTelephony({
          providerUrl: simulated.providerUrl,
          apiKey: config.env.TELEPHONY_API_KEY,
          eventsUrl: `${config.publicBaseUrl}/telephony/events`,
          mediaUrlFor: (callId) => mediaStreamUrl(config, callId),
          logger: logger.child({ provider: 'simulated' }),
        });
      }
      return new SimulatedTelephony({
        eventsUrl: `${config.publicBaseUrl}/telephony/events`,
        webhookSecret: config.webhookSecret,
        config: simulated,
        logger: logger.child({ provider: 'simulated' }),
        onCalleePhrase,
        voice:
          config.env.TELEPHONY_PROVIDER === 'simulated'
            ? {
                mediaUrlFor: (callId) => mediaStreamUrl(config, callId),
                format: { encoding: 'mulaw', sampleRate: 8000 },
                wireEncoding: 'ULAW',
              }
            : undefined,
      });
    }
    case 'voximplant':
      return new VoximplantTelephony({ ...config.voximplant!, logger: logger.child({ provider: 'voximplant' }) });
    case 'sip':
      return null;
  }
}
