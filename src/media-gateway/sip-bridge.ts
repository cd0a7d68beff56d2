import type http from 'node:http';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import type { Logger } from '../logging/logger';
import { metrics } from '../metrics/metrics';
import type { SipCall, SipCallEvent, SipUserAgent } from '../telephony/sip';
import type { TelephonyEventType, UnifiedTelephonyEvent } from '../telephony/unified-event';
import { telephonyEventSignal } from '../../workflows/definitions';
import type { CallAudioPipeline } from './call-audio-pipeline';
import { authorizeInternal, readInternalJson, sendJson } from './internal-http';
import type { DeclaredMediaFormat, MediaLeg } from './media-session';

export const SipDialRequestSchema = z.object({
  call_id: z.uuid(),
  phone: z.string().regex(/^\+7\d{10}$/),
  ring_timeout_sec: z.number().int().min(1).max(600),
});

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
 * SIP trunks in the media gateway: the worker asks (internal API) to dial; the user agent places the
 * call, its progress becomes unified telephony events signalled to the call's workflow, and once
 * answered its RTP runs through the same audio pipeline (VAD, playback, barge-in) as WebSocket media.
 *   POST /internal/sip/calls            {call_id, phone, ring_timeout_sec}
 *   POST /internal/sip/calls/{id}/hangup
 */
export class SipBridge {
  private readonly calls = new Map<string, CallEntry>();

  constructor(
    private readonly options: { ua: SipUserAgent; pipeline: CallAudioPipeline; client: Client; logger: Logger; internalSecret: string },
  ) {}

  start(): Promise<void> {
    return this.options.ua.start();
  }

  readonly handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean> => {
    const url = req.url ?? '';
    if (req.method !== 'POST' || !url.startsWith('/internal/sip/calls')) return false;
    if (!authorizeInternal(req, res, this.options.internalSecret)) return true;
    if (url === '/internal/sip/calls') {
      const body = await readInternalJson(req, res, '{"call_id", "phone", "ring_timeout_sec"}');
      if (body === undefined) return true;
      const parsed = SipDialRequestSchema.safeParse(body);
      if (!parsed.success) {
        sendJson(res, 400, { error: { code: 'invalid_body', message: parsed.error.issues[0]?.message ?? 'invalid' } });
        return true;
      }
      this.dial(parsed.data.call_id, parsed.data.phone, parsed.data.ring_timeout_sec);
      sendJson(res, 202, { dialing: true });
      return true;
    }
    const hangup = /^\/internal\/sip\/calls\/([0-9a-f-]{36})\/hangup$/.exec(url);
    if (!hangup) return false;
    await this.calls.get(hangup[1]!)?.call.hangUp('caller hung up');
    sendJson(res, 200, { hung_up: true });
    return true;
  };

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
