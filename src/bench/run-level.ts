import { readFileSync, existsSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import type { CallSession } from '../domain/call-session';
import { SimulatedCallRecordSchema, type SimulatedCallRecord } from '../telephony/simulated/provider-api';
import type { ProcessFigures, ProcessSampler } from './process-sampler';
import { distribution, histogramPercentile } from './stats';
import { PERSONA_LINES } from '../telephony/simulated/callee-behaviours';
import { normalizedWords } from '../speech-providers/text-to-speech';

/** One answer, from the end of the callee's speech to the reply it heard, split into stages. */
export interface TurnSample {
  callId: string;
  turn: number;
  /** End of the callee's speech -> first reply frame, as the callee's own ear measured it. */
  calleeV2vMs: number | null;
  /** The same as the gateway measured it (its VAD's end of speech -> first frame sent). */
  gatewayV2vMs: number | null;
  /** True end of speech (callee) -> phrase handed on: the VAD's own lag plus the silence it waited. */
  endpointingMs: number | null;
  /** The gateway VAD's end of speech minus the callee's true end of speech. */
  vadLagMs: number | null;
  sttMs: number | null;
  llmMs: number | null;
  ttsFirstByteMs: number | null;
  /** Phrase handed on -> turn activity running on the gateway (signal, workflow task, activity dispatch). */
  dispatchMs: number | null;
  scheduleToStartMs: number | null;
  /** Voice-to-voice minus endpointing, STT, LLM and TTS first byte: what our own code and hops cost. */
  overheadMs: number | null;
  /** Own overhead outside the Temporal dispatch: resampling, encoding, pacing. */
  otherOverheadMs: number | null;
  /** Pieces of this answer the voice said with other words than written (a model reading aloud). */
  readBackMismatches: number;
}

export interface LevelResult {
  label: string;
  calls: number;
  /** Calls that ended `completed` (answered and talked to the end). */
  completed: number;
  /** Calls whose results row was written exactly once. */
  resultRowsOk: number;
  endReasons: Record<string, number>;
  /** Most calls on the line at the same moment. */
  peakConcurrent: number;
  wallSec: number;
  turns: TurnSample[];
  /** Turns whose callee-side answer could not be matched (counted, not guessed). */
  unmatchedTurns: number;
  greetingMs: number[];
  playback: { frames: number; underruns: number; resyncs: number; latenessP50Ms: number | null; latenessP95Ms: number | null; latenessP99Ms: number | null };
  /** The gateway's event loop during the level (Node's own monitor) and its garbage collection pauses. */
  gatewayRuntime: { eventLoopLagP99Ms: number; eventLoopLagMaxMs: number; gcPauseMs: number; majorGcs: number; longestGcBucketMs: number | null };
  calleeEar: { frames: number; arrivalJitterP95Ms: number | null; arrivalJitterMaxMs: number | null; audibleGaps: number };
  temporal: { turnScheduleToStartMs: number[]; workflowTaskScheduleToStartMs: number[]; activityScheduleToStartMs: number[] };
  processes: Record<string, ProcessFigures>;
  /** Peak resident memory of our processes above their idle baseline, per call on the line. */
  serviceMbPerCall: number | null;
  /** Phrases the callee paused in (persona `pauses`) and how many were cut off there: recorded as a turn of their first part alone. */
  pausedPhrases: { said: number; cutOff: number };
}

export interface LevelTarget {
  apiUrl: string;
  /** Where the playback counters are (each media gateway's /metrics; summed over the gateways). */
  gatewayHttpUrls: string[];
  apiKey: string;
  providerUrl: string;
  providerApiKey: string;
  client: Client;
  sampler: ProcessSampler;
  resultsCsvPath: string;
  /** Our own processes (sampler names): the API, the worker, the media gateway. */
  ourProcesses: string[];
  /** Their resident memory when idle and warm (per-call memory is measured above it). */
  baselineRssMb: Record<string, number> | null;
}

/** Prometheus text -> the playback figures we need (counters and the lateness histogram). */
interface PlaybackCounters {
  underruns: number;
  resyncs: number;
  lateness: { le: number; cumulative: number }[];
  lagP99Ms: number;
  lagMaxMs: number;
  gcSeconds: number;
  majorGcs: number;
  gcBuckets: { le: number; cumulative: number }[];
}

/** The counters of every gateway added up (event-loop lag: the worst gateway's). */
async function scrapeGateways(urls: string[]): Promise<PlaybackCounters> {
  const all = await Promise.all(urls.map(scrapePlayback));
  const addBuckets = (pick: (c: PlaybackCounters) => { le: number; cumulative: number }[]) =>
    pick(all[0]!).map((bucket, i) => ({ le: bucket.le, cumulative: all.reduce((sum, c) => sum + (pick(c)[i]?.cumulative ?? 0), 0) }));
  return {
    underruns: all.reduce((sum, c) => sum + c.underruns, 0),
    resyncs: all.reduce((sum, c) => sum + c.resyncs, 0),
    lateness: addBuckets((c) => c.lateness),
    lagP99Ms: Math.max(...all.map((c) => c.lagP99Ms)),
    lagMaxMs: Math.max(...all.map((c) => c.lagMaxMs)),
    gcSeconds: all.reduce((sum, c) => sum + c.gcSeconds, 0),
    majorGcs: all.reduce((sum, c) => sum + c.majorGcs, 0),
    gcBuckets: addBuckets((c) => c.gcBuckets),
  };
}

async function scrapePlayback(gatewayHttpUrl: string): Promise<PlaybackCounters> {
  const text = await (await fetch(`${gatewayHttpUrl}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  const lateness = [...text.matchAll(/^playback_frame_lateness_seconds_bucket\{le="([^"]+)"\} (\S+)$/gm)].map((m) => ({
    le: m[1] === '+Inf' ? Infinity : Number(m[1]) * 1000,
    cumulative: Number(m[2]),
  }));
  const sum = (pattern: RegExp) => [...text.matchAll(pattern)].reduce((total, m) => total + Number(m[1]), 0);
  const gcBuckets = new Map<number, number>();
  for (const m of text.matchAll(/^nodejs_gc_duration_seconds_bucket\{le="([^"]+)",kind="[^"]+"\} (\S+)$/gm)) {
    const le = m[1] === '+Inf' ? Infinity : Number(m[1]) * 1000;
    gcBuckets.set(le, (gcBuckets.get(le) ?? 0) + Number(m[2]));
  }
  return {
    underruns: value('playback_underruns_total'),
    resyncs: value('playback_resyncs_total'),
    lateness,
    lagP99Ms: value('nodejs_eventloop_lag_p99_seconds') * 1000,
    lagMaxMs: value('nodejs_eventloop_lag_max_seconds') * 1000,
    gcSeconds: sum(/^nodejs_gc_duration_seconds_sum\{kind="[^"]+"\} (\S+)$/gm),
    majorGcs: sum(/^nodejs_gc_duration_seconds_count\{kind="major"\} (\S+)$/gm),
    gcBuckets: [...gcBuckets].sort((a, b) => a[0] - b[0]).map(([le, cumulative]) => ({ le, cumulative })),
  };
}

function runtimeBetween(before: PlaybackCounters, after: PlaybackCounters): LevelResult['gatewayRuntime'] {
  // The longest pause: the lowest bucket that holds every pause of the level.
  const total = (after.gcBuckets.at(-1)?.cumulative ?? 0) - (before.gcBuckets.at(-1)?.cumulative ?? 0);
  const longest = after.gcBuckets.find((bucket, i) => bucket.cumulative - (before.gcBuckets[i]?.cumulative ?? 0) >= total);
  return {
    // The monitor restarts at every scrape: the level's own figures.
    eventLoopLagP99Ms: Math.round(after.lagP99Ms),
    eventLoopLagMaxMs: Math.round(after.lagMaxMs),
    gcPauseMs: Math.round((after.gcSeconds - before.gcSeconds) * 1000),
    majorGcs: after.majorGcs - before.majorGcs,
    longestGcBucketMs: total > 0 && longest ? longest.le : null,
  };
}

function playbackBetween(before: PlaybackCounters, after: PlaybackCounters): LevelResult['playback'] {
  let previous = 0;
  const buckets = after.lateness.map((bucket, i) => {
    const cumulative = bucket.cumulative - (before.lateness[i]?.cumulative ?? 0);
    const count = cumulative - previous;
    previous = cumulative;
    return { le: bucket.le, count };
  });
  const frames = buckets.reduce((sum, b) => sum + b.count, 0);
  return {
    frames,
    underruns: after.underruns - before.underruns,
    resyncs: after.resyncs - before.resyncs,
    latenessP50Ms: histogramPercentile(buckets, 50),
    latenessP95Ms: histogramPercentile(buckets, 95),
    latenessP99Ms: histogramPercentile(buckets, 99),
  };
}

async function placeCall(target: LevelTarget, phone: string): Promise<string> {
  const response = await fetch(`${target.apiUrl}/call`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': target.apiKey },
    body: JSON.stringify({ phone }),
  });
  const body = (await response.json()) as { call_id?: string; error?: unknown };
  if (!response.ok || !body.call_id) throw new Error(`POST /call answered ${response.status}: ${JSON.stringify(body)}`);
  return body.call_id;
}

async function calleeRecord(target: LevelTarget, callId: string): Promise<SimulatedCallRecord | null> {
  const response = await fetch(`${target.providerUrl}/v1/calls/${callId}`, { headers: { authorization: `Bearer ${target.providerApiKey}` } });
  return response.ok ? SimulatedCallRecordSchema.parse(await response.json()) : null;
}

const eventId = (value: unknown) => Number(String(value));

/** Schedule-to-start of every workflow task and activity in the call's history (server timestamps). */
async function historyLatencies(client: Client, callId: string): Promise<{ workflowTasks: number[]; activities: number[] }> {
  const history = await client.workflow.getHandle(callId).fetchHistory();
  const scheduledAt = new Map<number, number>();
  const workflowTasks: number[] = [];
  const activities: number[] = [];
  for (const event of history.events ?? []) {
    const at = tsToMs(event.eventTime);
    const id = eventId(event.eventId);
    if (event.workflowTaskScheduledEventAttributes || event.activityTaskScheduledEventAttributes) scheduledAt.set(id, at);
    const wft = event.workflowTaskStartedEventAttributes;
    if (wft) workflowTasks.push(at - (scheduledAt.get(eventId(wft.scheduledEventId)) ?? at));
    const activity = event.activityTaskStartedEventAttributes;
    if (activity) activities.push(at - (scheduledAt.get(eventId(activity.scheduledEventId)) ?? at));
  }
  return { workflowTasks, activities };
}

/** Pairs each turn the workflow recorded with the answer the callee heard for the same phrase. */
function turnSamples(session: CallSession, callee: SimulatedCallRecord | null): { turns: TurnSample[]; unmatched: number } {
  const replies = [...(callee?.ear?.replies ?? [])];
  let unmatched = 0;
  const turns = (session.turn_metrics ?? []).map((metric): TurnSample => {
    const endedAt = metric.speech_ended_at ? Date.parse(metric.speech_ended_at) : NaN;
    // The gateway's VAD and the callee's own loud frames agree on the end of speech to within a few frames.
    let best = -1;
    for (let i = 0; i < replies.length; i++) {
      const distance = Math.abs(replies[i]!.speechEndedAtMs - endedAt);
      if (distance < 400 && (best < 0 || distance < Math.abs(replies[best]!.speechEndedAtMs - endedAt))) best = i;
    }
    const reply = best >= 0 ? replies.splice(best, 1)[0]! : null;
    if (!reply) unmatched += 1;
    const calleeV2vMs = reply ? Math.round(reply.replyHeardAtMs - reply.speechEndedAtMs) : null;
    const v2v = calleeV2vMs ?? metric.voice_to_voice_ms;
    const vadLagMs = reply && Number.isFinite(endedAt) ? Math.round(endedAt - reply.speechEndedAtMs) : null;
    const endpointingMs = metric.endpointing_ms == null ? null : metric.endpointing_ms + (vadLagMs ?? 0);
    const providerMs = (endpointingMs ?? 0) + (metric.stt_ms ?? 0) + (metric.llm_ms ?? 0) + (metric.tts_first_byte_ms ?? 0);
    const overheadMs = v2v === null ? null : v2v - providerMs;
    return {
      callId: session.id,
      turn: metric.turn,
      calleeV2vMs,
      gatewayV2vMs: metric.voice_to_voice_ms,
      endpointingMs,
      vadLagMs,
      sttMs: metric.stt_ms,
      llmMs: metric.llm_ms,
      ttsFirstByteMs: metric.tts_first_byte_ms,
      dispatchMs: metric.dispatch_ms ?? null,
      scheduleToStartMs: metric.schedule_to_start_ms ?? null,
      overheadMs,
      otherOverheadMs: overheadMs === null || metric.dispatch_ms == null ? null : overheadMs - metric.dispatch_ms,
      readBackMismatches: metric.read_back_mismatches?.length ?? 0,
    };
  });
  return { turns, unmatched };
}

/** Lines said with a pause inside ('|' in the persona's script): their first part alone as a user turn means the operator took the pause for the end. */
const PAUSED_LINES = Object.values(PERSONA_LINES)
  .flat()
  .filter((line) => line.includes('|'))
  .map((line) => ({ whole: normalizedWords(line.replace('|', ' ')), firstPart: normalizedWords(line.split('|')[0] ?? '') }));

function pausedPhrases(sessions: CallSession[]): { said: number; cutOff: number } {
  let said = 0;
  let cutOff = 0;
  for (const session of sessions) {
    for (const turn of session.transcript) {
      if (turn.speaker !== 'user') continue;
      const words = normalizedWords(turn.text);
      for (const line of PAUSED_LINES) {
        if (words === line.whole) said += 1;
        if (words === line.firstPart) {
          said += 1;
          cutOff += 1;
        }
      }
    }
  }
  return { said, cutOff };
}

function peakConcurrent(sessions: CallSession[]): number {
  const edges = sessions
    .filter((s) => s.started_at && s.ended_at)
    .flatMap((s) => [
      { at: Date.parse(s.started_at!), step: 1 },
      { at: Date.parse(s.ended_at!), step: -1 },
    ])
    .sort((a, b) => a.at - b.at || a.step - b.step);
  let current = 0;
  let peak = 0;
  for (const edge of edges) peak = Math.max(peak, (current += edge.step));
  return peak;
}

function resultRows(csvPath: string, callIds: string[]): number {
  if (!existsSync(csvPath)) return 0;
  const text = readFileSync(csvPath, 'utf8');
  return callIds.filter((id) => text.split(`,${id},`).length - 1 === 1).length;
}

/**
 * One measured run: `calls` simulated calls placed `rampMs` apart (a dialer's ramp; they are all
 * on the line together), each talked to the end; then what the callee heard, what the workflow
 * recorded, the playback counters and the per-process figures for that window.
 */
export async function runLevel(target: LevelTarget, options: { label: string; calls: number; rampMs: number; phoneFor: (index: number) => string }): Promise<LevelResult> {
  const startedAt = performance.now();
  const closeWindow = target.sampler.openWindow();
  const playbackBefore = await scrapeGateways(target.gatewayHttpUrls);
  const ids = await Promise.all(
    Array.from({ length: options.calls }, async (_, i) => {
      await new Promise((resolve) => setTimeout(resolve, i * options.rampMs));
      return placeCall(target, options.phoneFor(i));
    }),
  );
  const sessions = await Promise.all(ids.map((id) => target.client.workflow.getHandle(id).result() as Promise<CallSession>));
  const wallSec = Math.round((performance.now() - startedAt) / 100) / 10;
  const playbackAfter = await scrapeGateways(target.gatewayHttpUrls);
  const processes = closeWindow();

  const callees = await Promise.all(ids.map((id) => calleeRecord(target, id)));
  const histories = await Promise.all(ids.map((id) => historyLatencies(target.client, id)));
  const turns: TurnSample[] = [];
  let unmatchedTurns = 0;
  sessions.forEach((session, i) => {
    const paired = turnSamples(session, callees[i] ?? null);
    turns.push(...paired.turns);
    unmatchedTurns += paired.unmatched;
  });
  const jitter = new Array<number>(101).fill(0);
  for (const callee of callees) callee?.ear?.arrivalJitterMs.forEach((count, ms) => (jitter[ms]! += count));
  const jitterBuckets = jitter.map((count, ms) => ({ le: ms, count }));
  const endReasons: Record<string, number> = {};
  for (const session of sessions) endReasons[session.end_reason ?? 'none'] = (endReasons[session.end_reason ?? 'none'] ?? 0) + 1;
  const baseline = target.baselineRssMb;
  const aboveBaseline = baseline ? target.ourProcesses.reduce((sum, name) => sum + ((processes[name]?.peakRssMb ?? 0) - (baseline[name] ?? 0)), 0) : null;
  return {
    label: options.label,
    calls: options.calls,
    completed: sessions.filter((s) => s.status === 'completed').length,
    resultRowsOk: resultRows(target.resultsCsvPath, ids),
    endReasons,
    peakConcurrent: peakConcurrent(sessions),
    wallSec,
    turns,
    unmatchedTurns,
    greetingMs: sessions.map((s) => s.greeting_ms).filter((g): g is number => typeof g === 'number'),
    playback: playbackBetween(playbackBefore, playbackAfter),
    gatewayRuntime: runtimeBetween(playbackBefore, playbackAfter),
    calleeEar: {
      frames: callees.reduce((sum, c) => sum + (c?.ear?.framesHeard ?? 0), 0),
      arrivalJitterP95Ms: histogramPercentile(jitterBuckets, 95),
      arrivalJitterMaxMs: jitter.findLastIndex((count) => count > 0) >= 0 ? jitter.findLastIndex((count) => count > 0) : null,
      audibleGaps: callees.reduce((sum, c) => sum + (c?.ear?.audibleGaps ?? 0), 0),
    },
    temporal: {
      turnScheduleToStartMs: turns.map((t) => t.scheduleToStartMs).filter((v): v is number => v !== null),
      workflowTaskScheduleToStartMs: histories.flatMap((h) => h.workflowTasks),
      activityScheduleToStartMs: histories.flatMap((h) => h.activities),
    },
    processes,
    serviceMbPerCall: aboveBaseline === null ? null : Math.round((aboveBaseline / Math.max(1, options.calls)) * 10) / 10,
    pausedPhrases: pausedPhrases(sessions),
  };
}

/** The figures of a level that the report and the chart use. */
export function summarizeLevel(level: LevelResult) {
  const pick = (f: (t: TurnSample) => number | null) => level.turns.map(f).filter((v): v is number => v !== null);
  const stages = {
    endpointing: distribution(pick((t) => t.endpointingMs)),
    vad_lag: distribution(pick((t) => t.vadLagMs)),
    stt: distribution(pick((t) => t.sttMs)),
    llm: distribution(pick((t) => t.llmMs)),
    tts_first_byte: distribution(pick((t) => t.ttsFirstByteMs)),
    temporal_dispatch: distribution(pick((t) => t.dispatchMs)),
    other_overhead: distribution(pick((t) => t.otherOverheadMs)),
  };
  return {
    voiceToVoice: distribution(pick((t) => t.calleeV2vMs ?? t.gatewayV2vMs)),
    gatewayVoiceToVoice: distribution(pick((t) => t.gatewayV2vMs)),
    ownOverhead: distribution(pick((t) => t.overheadMs)),
    greeting: distribution(level.greetingMs),
    stages,
    turnScheduleToStart: distribution(level.temporal.turnScheduleToStartMs),
    workflowTaskScheduleToStart: distribution(level.temporal.workflowTaskScheduleToStartMs),
    activityScheduleToStart: distribution(level.temporal.activityScheduleToStartMs),
  };
}
export type LevelSummary = ReturnType<typeof summarizeLevel>;

/** What a hang-up mid-reply looked like at the callee's ear. */
export interface HangUpResult {
  calls: number;
  /** Hang-up event -> the last operator speech the callee heard (ms; 0 when nothing came after it). */
  voiceAfterHangUpMs: number[];
  /** Calls whose reply had already ended when the callee hung up (no sample). */
  replyAlreadyOver: number;
  /** Turn activities the workflow cancelled (ActivityTaskCanceled in the histories). */
  cancelledTurns: number;
}

/**
 * Callees that hang up 600 ms into the operator's answer (`hangs_up_mid_reply`): only the provider's
 * hang-up event goes out and the media stream stays open, so the callee's ear hears whatever the
 * gateway still plays: the path where the cancel travels webhook -> workflow -> the turn's heartbeat.
 */
export async function runHangUps(target: LevelTarget, options: { calls: number; rampMs: number; phoneFor: (index: number) => string; lineOpenMs: number }): Promise<HangUpResult> {
  const ids = await Promise.all(
    Array.from({ length: options.calls }, async (_, i) => {
      await new Promise((resolve) => setTimeout(resolve, i * options.rampMs));
      return placeCall(target, options.phoneFor(i));
    }),
  );
  await Promise.all(ids.map((id) => target.client.workflow.getHandle(id).result()));
  await new Promise((resolve) => setTimeout(resolve, options.lineOpenMs + 500)); // the callee's line closes by itself
  const records = await Promise.all(ids.map((id) => calleeRecord(target, id)));
  const voiceAfterHangUpMs: number[] = [];
  let replyAlreadyOver = 0;
  for (const record of records) {
    const hangup = record?.hangup;
    if (!hangup) continue;
    if (hangup.last_voiced_at_ms === null || hangup.last_voiced_at_ms < hangup.reported_at_ms - 100) replyAlreadyOver += 1;
    else voiceAfterHangUpMs.push(Math.max(0, hangup.last_voiced_at_ms - hangup.reported_at_ms));
  }
  let cancelledTurns = 0;
  for (const id of ids) {
    const history = await target.client.workflow.getHandle(id).fetchHistory();
    const turns = new Set((history.events ?? []).flatMap((e) => (e.activityTaskScheduledEventAttributes?.activityType?.name === 'hearAndReply' ? [String(e.eventId)] : [])));
    cancelledTurns += (history.events ?? []).filter((e) => turns.has(String(e.activityTaskCanceledEventAttributes?.scheduledEventId))).length;
  }
  return { calls: ids.length, voiceAfterHangUpMs, replyAlreadyOver, cancelledTurns };
}
