import type { UnifiedTelephonyEvent } from './unified-event';

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
 * Spec 2.1 / 4.3: everything provider-specific sits behind this interface; the workflow, the API
 * and the results know nothing of Voximplant, SIP or the simulator. Providers report call progress
 * to `POST /telephony/events` (in their own format, translated by `translateWebhook`).
 */
export interface TelephonyAdapter {
  readonly provider: string;
  /** Asks the provider to dial. Resolves once the provider accepted the request (not when answered). */
  initiateCall(request: InitiateCallRequest): Promise<DialReceipt | void>;
  /** Ends the call; a no-op for a call that already ended. `providerRef` is what initiateCall returned. */
  hangUp(callId: string, reason: string, providerRef?: string): Promise<void>;
  /**
   * Puts the assistant's reply on the line. In this version the reply is text and the provider
   * voices it; the audio pipeline (TTS through the media gateway) replaces this with `sendAudio`.
   */
  deliverAssistantReply(callId: string, reply: AssistantReply): Promise<void>;
  /** Turns the provider's own webhook body into unified events (none if it is not about a call). */
  translateWebhook(body: unknown): UnifiedTelephonyEvent[];
  /** Stops timers and connections. */
  close(): Promise<void>;
}
