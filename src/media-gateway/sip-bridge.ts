import type { Client } from '@temporalio/client';
import type { Logger } from '../logging/logger';
import { metrics } from '../metrics/metrics';
import type { SipCall, SipCallEvent, SipUserAgent } from '../telephony/sip';
import type { TelephonyEventType, UnifiedTelephonyEvent } from '../telephony/unified-event';
import { telephonyEventSignal } from '../../workflows/definitions';
import type { CallAudioPipeline } from './call-audio-pipeline';
import type { DeclaredMediaFormat, MediaLeg } from './media-session';

interface CallEntry {
  call: SipCall;
  leg: SipMediaLeg | null;
  seq: number;
  /** Signals go out one after another, in the order the call progressed. */
  delivery: Promise<void>;
}

/** A SIP call's RTP as the audio pipeline's media leg. */
class SipMediaLeg implements MediaLeg {
  readonly format: DeclaredMediaFormat;
  readonly stats = { framesOut: 0, framesIn: 0, lostIn: 0 };

  constructor(
    private readonly call: SipCall,
    readonly logger: Logger,
  ) {
    this.format = { encoding: call.format?.encoding ?? 'mulaw', sampleRate: 8000 };
  }

  get callId(): string {
    return this.call.callId;
  }

  get open(): boolean {
    return this.call.state === 'confirmed';
  }

  sendAudio(payload: Buffer): void {
    if (this.call.sendFrame(payload)) this.stats.framesOut += 1;
  }

  /** Nothing is buffered on the far side of RTP: the pacer's own queue was already dropped. */
  clear(): void {}

  close(_code: number, reason: string): void {
    void this.call.hangUp(reason);
  }
}

/**
 * SIP trunks in the media gateway: the workflow's `dialSip` activity runs on a gateway (the call then
 * belongs to it); the user agent places the call, its progress becomes unified telephony events
 * signalled to the call's workflow, and once answered its RTP runs through the same audio pipeline
 * (VAD, playback, barge-in) as WebSocket media.
 */
export class SipBridge {
  private readonly calls = new Map<string, CallEntry>();

  constructor(
    private readonly options: { ua: SipUserAgent; pipeline: CallAudioPipeline; client: Client; logger: Logger },
  ) {}

  start(): Promise<void> {
    return this.options.ua.start();
  }

  /** Hangs up a call this gateway placed (ringing or answered); false when it is not here. */
  async hangUp(callId: string, reason: string): Promise<boolean> {
    const entry = this.calls.get(callId);
    if (!entry) return false;
    await entry.call.hangUp(reason);
    return true;
  }

  /** Places the call; a repeated request for the same call id dials nothing new. */
  dial(callId: string, phone: string, ringTimeoutSec: number): void {
    if (this.calls.has(callId)) return;
    const call = this.options.ua.dial({ callId, number: phone, ringTimeoutSec });
    const entry: CallEntry = { call, leg: null, seq: 0, delivery: Promise.resolve() };
    this.calls.set(callId, entry);
    const logger = this.options.logger.child({ call_id: callId, provider: 'sip' });
    call.on('progress', (event: SipCallEvent) => {
      switch (event.type) {
        case 'ringing':
          return this.report(entry, 'ringing', `${event.status} ${event.reason}`);
        case 'answered': {
          // The media leg is up before the answer is reported, so the greeting plays at once.
          const leg = new SipMediaLeg(call, logger);
          entry.leg = leg;
          this.options.pipeline.onStart(leg);
          call.onAudio((payload, missingBefore) => {
            leg.stats.framesIn += 1;
            leg.stats.lostIn += missingBefore;
            this.options.pipeline.onAudio(leg, payload, missingBefore);
          });
          return this.report(entry, 'answered', null);
        }
        case 'busy':
        case 'no_answer':
        case 'error':
          this.forget(callId);
          return this.report(entry, event.type, `sip ${event.reason}`);
        case 'hangup':
          if (entry.leg) this.options.pipeline.onStop(entry.leg, `hung up by ${event.by}`);
          logger.info({ by: event.by, frames_out: entry.leg?.stats.framesOut ?? 0, frames_in: entry.leg?.stats.framesIn ?? 0, lost_in: entry.leg?.stats.lostIn ?? 0 }, 'sip call media summary');
          this.forget(callId);
          return this.report(entry, 'hangup', `${event.by === 'remote' ? 'callee' : 'caller'}: ${event.reason}`);
      }
    });
  }

  async close(): Promise<void> {
    await this.options.ua.close();
    this.calls.clear();
  }

  private forget(callId: string): void {
    // Kept a little while so a late hang-up request still finds the call.
    setTimeout(() => this.calls.delete(callId), 30_000).unref();
  }

  /** Like a provider's webhook, but from our own component: straight to the workflow as a signal. */
  private report(entry: CallEntry, event: TelephonyEventType, reason: string | null): void {
    entry.seq += 1;
    const unified: UnifiedTelephonyEvent = {
      call_id: entry.call.callId,
      event,
      timestamp: new Date().toISOString(),
      reason,
      event_id: `sip-${entry.call.sipCallId}-${entry.seq}`,
    };
    this.options.logger.info({ call_id: unified.call_id, event, reason, provider: 'sip' }, 'telephony event');
    metrics.telephonyEvents.inc({ event });
    entry.delivery = entry.delivery
      .then(() => this.options.client.workflow.getHandle(unified.call_id).signal(telephonyEventSignal, unified))
      .catch((err: unknown) => this.options.logger.error({ call_id: unified.call_id, event, err: String(err) }, 'could not deliver sip event'));
  }
}
