/** Outbound SIP user agent with G.711 RTP for SIP trunks (Zadarma/Novofon, Mango Office, Asterisk...). */
export { SipUserAgent, type SipUserAgentOptions } from './sip-user-agent';
export { SipCall, type DialOptions, type SipCallState } from './sip-call';
export { outcomeOfFailure, type SipAudioFormat, type SipCallEvent, type SipCallEvents, type SipCallOutcome } from './call-events';
export { RegistrationError, type RegistrationState } from './registration';
export { RtpSilenceKeeper, type RtpSilenceKeeperOptions } from './rtp-silence-keeper';
export { RtpSession, type AudioHandler, type PortRange } from './rtp-session';
export type { G711Codec } from './sdp';
export type { SipLogger } from './logger';
export type { SipTimerConfig } from './transactions';
export {
  SIP_PRESETS,
  SipTrunkConfigSchema,
  formatDialNumber,
  parseSipTrunkConfig,
  sipUserAgentOptionsFromConfig,
  type NumberFormat,
  type SipPresetName,
  type SipTrunkConfig,
  type SipTrunkConfigInput,
} from './presets';
