import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics of this process (`/metrics` on the API and the media gateway). In `npm start`
 * all components share one process and so one registry; split processes each report what they see.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry });

const SECONDS = [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.25, 1.5, 2, 3, 5, 10];

export const metrics = {
  /** End of the callee's speech -> first assistant audio frame on the line. */
  voiceToVoice: new Histogram({ name: 'voice_to_voice_seconds', help: 'End of callee speech to first assistant audio frame', buckets: SECONDS, registers: [registry] }),
  /** endpointing (trailing-silence wait), stt, llm, tts_first_byte, greeting (answer -> greeting on the line). */
  stage: new Histogram({ name: 'turn_stage_seconds', help: 'Duration of one stage of a turn', labelNames: ['stage'] as const, buckets: SECONDS, registers: [registry] }),
  activeMediaCalls: new Gauge({ name: 'media_active_calls', help: 'Calls with an open media stream', registers: [registry] }),
  callsStarted: new Counter({ name: 'calls_started_total', help: 'Calls accepted by POST /call', registers: [registry] }),
  callsEnded: new Counter({ name: 'calls_ended_total', help: 'Calls written to the results', labelNames: ['status', 'disposition'] as const, registers: [registry] }),
  telephonyEvents: new Counter({ name: 'telephony_events_total', help: 'Provider events received', labelNames: ['event'] as const, registers: [registry] }),
  errors: new Counter({ name: 'errors_total', help: 'Errors by kind', labelNames: ['kind'] as const, registers: [registry] }),
  readBackMismatches: new Counter({ name: 'tts_read_back_mismatches_total', help: 'Reply pieces a model reading aloud said with other words than written', registers: [registry] }),
  /** Send time of each reply frame minus its slot on the 20 ms schedule. */
  playbackFrameLateness: new Histogram({
    name: 'playback_frame_lateness_seconds',
    help: 'How late each assistant audio frame left against its 20 ms schedule',
    buckets: [0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.04, 0.08, 0.2],
    registers: [registry],
  }),
  playbackResyncs: new Counter({ name: 'playback_resyncs_total', help: 'Times playback fell more than 200 ms behind and restarted its schedule', registers: [registry] }),
  playbackUnderruns: new Counter({ name: 'playback_underruns_total', help: 'Times the line ran dry while a reply was still being synthesised', registers: [registry] }),
};

export type ErrorKind = 'stt' | 'llm' | 'tts' | 'classification' | 'sheets' | 'media';
