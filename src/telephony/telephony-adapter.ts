
export interface InitiateCallRequest {
  callId: string;
  /** E.164: +7XXXXXXXXXX. */
  phone: string;
  /** The provider may apply its own ring timeout; the workflow keeps a durable one as well. */
  ringTimeoutSec: number;
}

/** What the provider gave back for a dial request; kept in the workflow so any worker can hang up. */
export interface DialReceipt {
  /** Provider handle of the call (e.g. Voximplant's scenario control URL). */
  providerRef?: string;
}

export interface AssistantReply {
  text: string;
  /** The last thing said before we hang up (goodbye). */
  final: boolean;
}

/**
 * Spec 2.1 / 4.3: a provider's call-control API behind one interface, used by the general worker;
 * the workflow, the API and the results know nothing of Voximplant or the simulator. Providers
 * report call progress to `POST /telephony/events` (their formats are translated in the API
 * routes), and carry the call's audio to a media gateway (`src/media-gateway`). A SIP trunk has no
 * such API: a media gateway dials it (`SipBridge`).
 */
export interface TelephonyAdapter {
  readonly provider: string;
  /** Asks the provider to dial. Resolves once the provider accepted the request (not when answered). */
  initiateCall(request: InitiateCallRequest): Promise<DialReceipt | void>;
  /** Ends the call; a no-op for a call that already ended. `providerRef` is what initiateCall returned. */
  hangUp(callId: string, reason: string, providerRef?: string): Promise<void>;
  /** Stops timers and connections. */
  close(): Promise<void>;
}

/** A line that carries text, not audio (the simulated text callee): replies are handed over as text. */
export interface TextLine {
  deliverAssistantReply(callId: string, reply: AssistantReply): Promise<void>;
}

export function isTextLine(adapter: TelephonyAdapter | null): adapter is TelephonyAdapter & TextLine {
  return adapter !== null && typeof (adapter as Partial<TextLine>).deliverAssistantReply === 'function';
}
