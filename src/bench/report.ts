import type { HangUpResult, LevelResult, LevelSummary } from './run-level';
import type { Distribution } from './stats';
import { renderDialogModes, type MeasuredDialogMode } from './dialog-modes';

export interface MeasuredLevel {
  calls: number;
  result: LevelResult;
  summary: LevelSummary;
  /** All calls completed with one results row, voice-to-voice p95 within the spec's 2 s, playback never 200 ms behind. */
  sustained: boolean;
  /** Why not, when not. */
  notSustained: string[];
}

export interface MeasuredVariant {
  name: string;
  description: string;
  calls: number;
  summary: LevelSummary;
  /** Voice-to-voice of this variant over the as-built pipeline's, measured in the same run. */
  ratioP50: number | null;
  ratioP95: number | null;
}

export interface TargetCheck {
  name: string;
  target: string;
  measured: string;
  met: boolean;
  /** When missed: by how much, and the stage that grew most. */
  missedBy?: string;
  responsible?: string;
}

export interface BenchReport {
  generatedAt: string;
  command: string;
  machine: { cpu: string; cores: number; memoryGb: number; os: string; node: string };
  profile: string;
  profileFigures: Record<string, number>;
  settings: { vadSilenceMs: number; vadEarlySilenceMs: number; rampMs: number; personas: string[] };
  levels: MeasuredLevel[];
  largestSustained: number | null;
  variants: MeasuredVariant[];
  /** The same number of calls through one gateway and through two behind one address. */
  gatewayComparison?: { calls: number; one: MeasuredLevel; two: MeasuredLevel } | null;
  /** Callees that hung up mid-reply: how long the operator's voice still reached them. */
  hangUps?: (HangUpResult & { summary: Distribution; measuredBy?: string }) | null;
  /** The dialog designs of issue 10 side by side (also written alone to <profile>-dialog-modes.md). */
  dialogModes?: MeasuredDialogMode[];
  /** The run this one replaced (the committed report at the time), for comparison. */
  previous?: { generatedAt: string; largestSustained: number | null; levels: Pick<MeasuredLevel, 'calls' | 'summary' | 'result'>[] } | null;
  targets: TargetCheck[];
}

const ms = (value: number | null | undefined) => (value === null || value === undefined ? '-' : String(Math.round(value)));

/** The report as Markdown: what ran, the targets, then the tables behind them. */
export function renderMarkdown(report: BenchReport): string {
  const lines: string[] = [];
  const out = (line = '') => lines.push(line);
  const { machine } = report;
  out(`# Benchmark: voice-to-voice latency and concurrent calls`);
  out();
  out(`Generated ${report.generatedAt} by \`${report.command}\` on ${machine.cores} x ${machine.cpu}, ${machine.memoryGb} GB RAM, ${machine.os}, Node ${machine.node}.`);
  out();
  out(
    `Everything real except the far ends: the Temporal dev server, and our API, worker and media gateway each in its own process ` +
      `(started from their production entry points, as docker-compose and Render run them), ` +
      `WebSocket media with 20 ms G.711 frames, Silero VAD. **OpenAI is the LOCAL EMULATOR** (its own process) with latency profile ` +
      `\`${report.profile}\` (${Object.entries(report.profileFigures).map(([k, v]) => `${k} ${v}`).join(', ')}); ` +
      `**the callees are SIMULATED** (their own process: eSpeak NG voices, personas ${report.settings.personas.join(', ')}). ` +
      `Calls start ${report.settings.rampMs} ms apart and are all on the line together. End of phrase = ${report.settings.vadSilenceMs} ms of silence, ` +
      `preemptive reply after ${report.settings.vadEarlySilenceMs} ms. Voice-to-voice is measured by the callee's own ear: end of its last loud frame -> first reply frame it receives.`,
  );
  out();
  out('## Targets');
  out();
  out('| target | goal | measured | result |');
  out('|---|---|---|---|');
  for (const t of report.targets) out(`| ${t.name} | ${t.target} | ${t.measured} | ${t.met ? 'met' : `**missed** by ${t.missedBy}${t.responsible ? `; ${t.responsible}` : ''}`} |`);
  out();
  out(`Largest concurrency sustained (every call completed with one results row, voice-to-voice p95 <= 2000 ms as the spec asks, playback never more than 200 ms behind; underruns are reported per level): **${report.largestSustained ?? 'none'}**.`);
  out();
  out('## Latency by concurrency (ms)');
  out();
  out('| calls | peak on line | turns | v2v p50 | v2v p95 | v2v max | gateway v2v p95 | own overhead p50 | own overhead p95 | greeting p95 | completed | rows ok | sustained |');
  out('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const l of report.levels) {
    const s = l.summary;
    out(
      `| ${l.calls} | ${l.result.peakConcurrent} | ${l.result.turns.length} | ${ms(s.voiceToVoice.p50)} | ${ms(s.voiceToVoice.p95)} | ${ms(s.voiceToVoice.max)} | ${ms(s.gatewayVoiceToVoice.p95)} | ${ms(s.ownOverhead.p50)} | ${ms(s.ownOverhead.p95)} | ${ms(s.greeting.p95)} | ${l.result.completed}/${l.calls} | ${l.result.resultRowsOk}/${l.calls} | ${l.sustained ? 'yes' : `no: ${l.notSustained.join('; ')}`} |`,
    );
  }
  out();
  out('## Stages per turn, p50 / p95 (ms)');
  out();
  out('| calls | endpointing wait | of which VAD lag | STT | LLM to the first piece | TTS first byte | Temporal dispatch | other own overhead |');
  out('|---|---|---|---|---|---|---|---|');
  for (const l of report.levels) {
    const st = l.summary.stages;
    const cell = (d: { p50: number | null; p95: number | null }) => `${ms(d.p50)} / ${ms(d.p95)}`;
    out(`| ${l.calls} | ${cell(st.endpointing)} | ${cell(st.vad_lag)} | ${cell(st.stt)} | ${cell(st.llm)} | ${cell(st.tts_first_byte)} | ${cell(st.temporal_dispatch)} | ${cell(st.other_overhead)} |`);
  }
  out();
  out(
    'Endpointing wait = the callee\'s true end of speech -> the phrase handed on: the VAD\'s lag in seeing the end plus the silence waited (' +
      'the early pause when preemptive replies are on; the rest of the 500 ms runs alongside STT and the model). ' +
      'Temporal dispatch = phrase handed on by the gateway -> the turn activity running on that gateway (signal, workflow task, activity dispatch to the gateway\'s own queue). ' +
      'Other own overhead = the rest of voice-to-voice outside the provider stages: resampling, G.711 encoding, pacing, WebSocket (the whole turn runs in the gateway process).',
  );
  out();
  out('## Playback, Temporal and processes');
  out();
  out('| calls | frames sent | underruns | resyncs | frame lateness p50 / p95 / p99 (ms, bucket) | callee arrival jitter p95 / max (ms) | gaps > 60 ms heard | gateway event-loop lag p99 / max (ms) | gateway GC pauses total (ms) / major / longest (bucket) | turn schedule-to-start p95 | workflow task schedule-to-start p50 / p95 | activity schedule-to-start p95 |');
  out('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const l of report.levels) {
    const p = l.result.playback;
    const e = l.result.calleeEar;
    const s = l.summary;
    out(
      `| ${l.calls} | ${p.frames} | ${p.underruns} | ${p.resyncs} | ${ms(p.latenessP50Ms)} / ${ms(p.latenessP95Ms)} / ${ms(p.latenessP99Ms)} | ${ms(e.arrivalJitterP95Ms)} / ${ms(e.arrivalJitterMaxMs)} | ${e.audibleGaps} | ${l.result.gatewayRuntime.eventLoopLagP99Ms} / ${l.result.gatewayRuntime.eventLoopLagMaxMs} | ${l.result.gatewayRuntime.gcPauseMs} / ${l.result.gatewayRuntime.majorGcs} / ${ms(l.result.gatewayRuntime.longestGcBucketMs)} | ${ms(s.turnScheduleToStart.p95)} | ${ms(s.workflowTaskScheduleToStart.p50)} / ${ms(s.workflowTaskScheduleToStart.p95)} | ${ms(s.activityScheduleToStart.p95)} |`,
    );
  }
  out();
  const names = [...new Set(report.levels.flatMap((l) => Object.keys(l.result.processes)))];
  out(`| calls | ${names.map((n) => `${n} CPU % / peak MB`).join(' | ')} | our MB per call |`);
  out(`|---|${names.map(() => '---').join('|')}|---|`);
  for (const l of report.levels) {
    out(`| ${l.calls} | ${names.map((n) => (l.result.processes[n] ? `${l.result.processes[n]!.cpuPercent} / ${l.result.processes[n]!.peakRssMb}` : '-')).join(' | ')} | ${l.result.serviceMbPerCall ?? '-'} |`);
  }
  out();
  out('CPU % is of one core over the whole run of the level (this machine has ' + machine.cores + '), children included (eSpeak NG runs of the emulator and the callees). MB per call = (peak RSS of api + worker + media gateway - their idle warm RSS) / calls.');
  out();
  if (report.gatewayComparison) {
    const { calls, one, two } = report.gatewayComparison;
    out(`## One gateway or two (${calls} calls)`);
    out();
    out('Two media gateway processes behind one round-robin address (each a Temporal worker on its own task queue; calls land on either), against the same number of calls through one gateway.');
    out();
    out('| gateways | completed | rows ok | sustained | v2v p50 | v2v p95 | own overhead p95 | greeting p95 | underruns | gateway event-loop lag p99 (worst) | CPU % per gateway | our MB per call |');
    out('|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const [label, level] of [['1', one], ['2', two]] as const) {
      const gateways = Object.entries(level.result.processes).filter(([name]) => name.startsWith('media gateway'));
      out(
        `| ${label} | ${level.result.completed}/${calls} | ${level.result.resultRowsOk}/${calls} | ${level.sustained ? 'yes' : `no: ${level.notSustained.join('; ')}`} | ${ms(level.summary.voiceToVoice.p50)} | ${ms(level.summary.voiceToVoice.p95)} | ${ms(level.summary.ownOverhead.p95)} | ${ms(level.summary.greeting.p95)} | ${level.result.playback.underruns} | ${level.result.gatewayRuntime.eventLoopLagP99Ms} | ${gateways.map(([, f]) => f.cpuPercent).join(' + ')} | ${level.result.serviceMbPerCall ?? '-'} |`,
      );
    }
    out();
  }
  if (report.hangUps) {
    const h = report.hangUps;
    out(`## Hang-up mid-reply (${h.calls} calls)`);
    out();
    out('The callee hangs up 600 ms into the operator\'s answer. Only the provider\'s hang-up event goes out and the media stream stays open, so the callee\'s ear hears whatever the gateway still plays: the event reaches the API, the workflow cancels the turn, and the cancel reaches the gateway with a heartbeat of the turn activity (sent at most every 500 ms), which cuts the playback. When the provider closes the media stream as well (as Voximplant\'s scenario and a SIP BYE do), the gateway stops the playback itself at once.');
    out();
    if (h.measuredBy) out(`Measured separately, by \`${h.measuredBy}\`.`);
    if (h.measuredBy) out();
    out('| operator voice heard after the hang-up event p50 / p95 / max (ms) | samples | turn activities cancelled (hang-ups and superseded phrases) | replies already over at the hang-up |');
    out('|---|---|---|---|');
    out(`| ${ms(h.summary.p50)} / ${ms(h.summary.p95)} / ${ms(h.summary.max)} | ${h.summary.n} | ${h.cancelledTurns} | ${h.replyAlreadyOver} |`);
    out();
  }
  if (report.previous) {
    const prev = report.previous;
    const at = (levels: Pick<MeasuredLevel, 'calls' | 'summary' | 'result'>[], calls: number) => levels.find((l) => l.calls === calls);
    const row = (name: string, calls: number, pick: (l: Pick<MeasuredLevel, 'calls' | 'summary' | 'result'>) => number | null | undefined, unit = 'ms') => {
      const before = at(prev.levels, calls);
      const now = at(report.levels, calls);
      const b = before ? pick(before) : null;
      const n = now ? pick(now) : null;
      const delta = b !== null && b !== undefined && n !== null && n !== undefined ? Math.round((n - b) * 10) / 10 : null;
      out(`| ${name} at ${calls} calls | ${b ?? '-'} ${unit} | ${n ?? '-'} ${unit} | ${delta === null ? '-' : `${delta > 0 ? '+' : ''}${delta} ${unit}`} |`);
    };
    out(`## Compared with the previous run (${prev.generatedAt})`);
    out();
    out('| figure | previous | this run | change |');
    out('|---|---|---|---|');
    row('voice-to-voice p95', 3, (l) => l.summary.voiceToVoice.p95);
    row('voice-to-voice p95', 30, (l) => l.summary.voiceToVoice.p95);
    row('own overhead p95', 3, (l) => l.summary.ownOverhead.p95);
    row('own overhead p95', 50, (l) => l.summary.ownOverhead.p95);
    row('greeting p95', 3, (l) => l.summary.greeting.p95);
    row('greeting p95', 50, (l) => l.summary.greeting.p95);
    row('Temporal dispatch p95', 50, (l) => l.summary.stages.temporal_dispatch.p95);
    row('playback underruns', 30, (l) => l.result.playback.underruns, '');
    row('playback underruns', 50, (l) => l.result.playback.underruns, '');
    row('our MB per call', 50, (l) => l.result.serviceMbPerCall, 'MB');
    for (const name of ['api', 'worker', 'media gateway']) {
      row(`${name} CPU % per call`, 50, (l) => (l.result.processes[name] ? Math.round((l.result.processes[name]!.cpuPercent / l.calls) * 100) / 100 : null), '%');
      row(`${name} peak MB`, 50, (l) => l.result.processes[name]?.peakRssMb, 'MB');
    }
    out(`| largest concurrency sustained | ${prev.largestSustained ?? '-'} | ${report.largestSustained ?? '-'} | |`);
    out();
  }
  if (report.variants.length > 0) {
    out('## Compared designs (same invocation, ' + report.variants[0]!.calls + ' calls each, 3 at a time)');
    out();
    out('| variant | what differs | turns | v2v p50 | v2v p95 | x as built (p50) | x as built (p95) | own overhead p95 | Temporal dispatch p50 |');
    out('|---|---|---|---|---|---|---|---|---|');
    for (const v of report.variants) {
      out(
        `| ${v.name} | ${v.description} | ${v.summary.voiceToVoice.n} | ${ms(v.summary.voiceToVoice.p50)} | ${ms(v.summary.voiceToVoice.p95)} | ${v.ratioP50?.toFixed(2) ?? '-'} | ${v.ratioP95?.toFixed(2) ?? '-'} | ${ms(v.summary.ownOverhead.p95)} | ${ms(v.summary.stages.temporal_dispatch.p50)} |`,
      );
    }
    out();
  }
  if (report.dialogModes && report.dialogModes.length > 0) {
    out();
    out(renderDialogModes(report.dialogModes, report.profileFigures));
  }
  return lines.join('\n');
}
