import type { Logger } from '../../logging/logger';
import type { AssistantReply, InitiateCallRequest, TelephonyAdapter, TextLine } from '../telephony-adapter';
import type { TelephonyEventType, UnifiedTelephonyEvent } from '../unified-event';
import type { MediaFormat } from '../../audio/media-format';
import { behaviourFor, HANGUP_AFTER_MS, INTERRUPT_AFTER_MS, LINE_OPEN_AFTER_HANGUP_MS, PERSONA_LINES, type CalleeBehaviour, type SimulatedTelephonyConfig } from './callee-behaviours';
import { VoiceLine } from './voice-line';
import { lineText } from '../../speech-synthesis/spoken-line';

export interface SimulatedTelephonyOptions {
  /** Our `POST /telephony/events` URL: the simulator reports there over HTTP like a real provider. */
  eventsUrl: string;
  webhookSecret: string;
  config: SimulatedTelephonyConfig;
  logger: Logger;
  /** How the callee's finished phrases reach the dialog in text mode (in voice mode: as audio via the gateway). */
  onCalleePhrase: (callId: string, text: string) => Promise<void>;
  /** Voice mode: the callee speaks over a WebSocket media stream to the media gateway. */
  voice?: { mediaUrlFor(callId: string): string; format: MediaFormat; wireEncoding: string };
}

/** Where one call reports and streams, when the dial request names them (the simulator as its own process). */
export interface SimulatedCallRoute {
  eventsUrl: string;
  mediaUrl?: string;
}

interface SimulatedCall {
  callId: string;
  behaviour: CalleeBehaviour;
  answered: boolean;
  ended: boolean;
  nextLine: number;
  /** What the callee heard from the operator, in order. */
  heard: string[];
  /** What the callee said. */
  said: string[];
  timers: Set<NodeJS.Timeout>;
  eventSeq: number;
  line: VoiceLine | null;
  route: SimulatedCallRoute | null;
  /** `hangs_up_mid_reply`: when its hang-up event went out (epoch ms). */
  hungUpMidReplyAtMs: number | null;
}

/**
 * A telephony provider with a virtual callee, the embedded default (TELEPHONY_PROVIDER=simulated).
 * It rings, answers, is busy or does not answer as configured per number, talks from a persona
 * script, and reports progress to our webhook over real HTTP. Nothing is dialed for real.
 */
export class SimulatedTelephony implements TelephonyAdapter, TextLine {
  readonly provider = 'simulated';
  private readonly calls = new Map<string, SimulatedCall>();

  constructor(private readonly options: SimulatedTelephonyOptions) {}

  async initiateCall({ callId, phone }: InitiateCallRequest, route: SimulatedCallRoute | null = null): Promise<void> {
    if (this.calls.has(callId)) return; // a retried activity must not dial twice
    const behaviour = behaviourFor(phone, this.options.config);
    if (behaviour === 'provider_down') throw new Error('simulated provider API: 503 Service Unavailable');
    const call: SimulatedCall = {
      callId,
      behaviour,
      answered: false,
      ended: false,
      nextLine: 0,
      heard: [],
      said: [],
      timers: new Set(),
      eventSeq: 0,
      line: null,
      route,
      hungUpMidReplyAtMs: null,
    };
    this.calls.set(callId, call);
    this.options.logger.info({ call_id: callId, behaviour, provider: this.provider }, 'simulated call placed (no real dialing)');
    const { ringAfterMs, answerAfterMs } = this.options.config;
    this.after(call, ringAfterMs, async () => {
      if (behaviour === 'unreachable') return this.finish(call, 'error', 'simulated: 503 Service Unavailable');
      await this.report(call, 'ringing');
      this.after(call, answerAfterMs, async () => {
        switch (behaviour) {
          case 'busy':
            return this.finish(call, 'busy', 'simulated: 486 Busy Here');
          case 'rejected':
            return this.finish(call, 'no_answer', 'simulated: 603 Decline');
          case 'no_answer':
            return; // rings until the caller gives up
          default:
            // Like a provider: the media stream is up when we report the answer.
            if (this.options.voice) await this.openLine(call);
            call.answered = true;
            await this.report(call, 'answered');
        }
      });
    });
  }

  async hangUp(callId: string, reason: string): Promise<void> {
    const call = this.calls.get(callId);
    if (!call || call.ended) return;
    await this.finish(call, call.answered ? 'hangup' : 'no_answer', `caller: ${reason}`);
  }

  async deliverAssistantReply(callId: string, reply: AssistantReply): Promise<void> {
    const call = this.calls.get(callId);
    if (!call || call.ended || !call.answered) throw new Error(`call ${callId} is not on the line`);
    call.heard.push(reply.text);
    if (reply.final) {
      // A polite callee waits for us to hang up, but not forever.
      this.after(call, 5000, () => this.finish(call, 'hangup', 'callee: no hang-up after goodbye'));
      return;
    }
    this.respond(call);
  }

  /** For tests and the demo: what the virtual callee heard (text mode) and said, and its line (voice mode). */
  conversationOf(callId: string): { heard: string[]; said: string[]; behaviour: CalleeBehaviour; line: VoiceLine | null; ended: boolean; hungUpMidReplyAtMs: number | null } | undefined {
    const call = this.calls.get(callId);
    return call && { heard: [...call.heard], said: [...call.said], behaviour: call.behaviour, line: call.line, ended: call.ended, hungUpMidReplyAtMs: call.hungUpMidReplyAtMs || null };
  }

  private async openLine(call: SimulatedCall): Promise<void> {
    const voice = this.options.voice!;
    call.line = new VoiceLine({
      callId: call.callId,
      mediaUrl: call.route?.mediaUrl ?? voice.mediaUrlFor(call.callId),
      format: voice.format,
      wireEncoding: voice.wireEncoding,
      logger: this.options.logger,
      // The callee answers each operator phrase, as in text mode.
      onOperatorPhraseEnd: () => {
        if (!call.ended) this.respond(call);
      },
      // The `interrupts` persona talks over the operator's second phrase.
      onOperatorSpeechStart: () => {
        if (call.behaviour === 'hangs_up_mid_reply' && call.nextLine === 1 && call.hungUpMidReplyAtMs === null) {
          call.hungUpMidReplyAtMs = 0;
          this.after(call, HANGUP_AFTER_MS, async () => {
            // Only the provider's event: the stream stays open, so the ear hears whatever still comes.
            call.hungUpMidReplyAtMs = Date.now();
            await this.report(call, 'hangup', 'callee hung up mid-reply');
            this.after(call, LINE_OPEN_AFTER_HANGUP_MS, () => {
              call.ended = true;
              call.line?.stop();
            });
          });
          return;
        }
        if (call.behaviour !== 'interrupts' || call.nextLine !== 1) return;
        const line = PERSONA_LINES.interrupts[call.nextLine++]!;
        this.after(call, INTERRUPT_AFTER_MS, async () => {
          call.said.push(line);
          await call.line?.say(line);
        });
      },
    });
    await call.line.open();
  }

  async close(): Promise<void> {
    for (const call of this.calls.values()) {
      for (const timer of call.timers) clearTimeout(timer);
      call.line?.stop();
    }
    this.calls.clear();
  }

  private respond(call: SimulatedCall): void {
    if (call.behaviour === 'silent') return;
    const lines = PERSONA_LINES[call.behaviour as keyof typeof PERSONA_LINES];
    if (!lines) return;
    if (call.nextLine >= lines.length) {
      if (call.behaviour === 'hangs_up') this.after(call, this.options.config.thinkMs, () => this.finish(call, 'hangup', 'callee hung up'));
      return; // nothing more to say: waits for the operator's goodbye
    }
    const line = lines[call.nextLine++]!;
    this.after(call, this.options.config.thinkMs, async () => {
      call.said.push(lineText(line));
      if (call.line) await call.line.say(line);
      else await this.options.onCalleePhrase(call.callId, lineText(line));
    });
  }

  private async finish(call: SimulatedCall, event: TelephonyEventType, reason: string | null): Promise<void> {
    if (call.ended) return;
    call.ended = true;
    for (const timer of call.timers) clearTimeout(timer);
    call.timers.clear();
    call.line?.stop();
    await this.report(call, event, reason);
  }

  private after(call: SimulatedCall, ms: number, action: () => Promise<void> | void): void {
    const timer = setTimeout(() => {
      call.timers.delete(timer);
      if (call.ended) return;
      Promise.resolve(action()).catch((err: unknown) =>
        this.options.logger.error({ call_id: call.callId, err: String(err) }, 'simulated callee step failed'),
      );
    }, ms);
    call.timers.add(timer);
  }

  /** POSTs a unified event to our webhook like a provider would, with a few retries. */
  private async report(call: SimulatedCall, event: TelephonyEventType, reason: string | null = null): Promise<void> {
    call.eventSeq += 1;
    const body: UnifiedTelephonyEvent = {
      call_id: call.callId,
      event,
      timestamp: new Date().toISOString(),
      reason,
      event_id: `sim-${call.callId}-${call.eventSeq}`,
    };
    for (let attempt = 1; attempt <= 4; attempt++) {
      try {
        const response = await fetch(call.route?.eventsUrl ?? this.options.eventsUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-webhook-secret': this.options.webhookSecret },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(5000),
        });
        if (response.ok || (response.status >= 400 && response.status < 500)) {
          if (!response.ok) this.options.logger.warn({ call_id: call.callId, event, status: response.status }, 'webhook refused simulated event');
          return;
        }
      } catch (err) {
        if (attempt === 4) throw err;
      }
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}
