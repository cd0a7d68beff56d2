import type { ReadyChild } from './child-process';
import { ProcessSampler } from './process-sampler';
import { runLevel, summarizeLevel, type LevelResult, type LevelSummary, type LevelTarget } from './run-level';

/**
 * The dialog designs of issue 10 side by side, each on a fresh service (its own API, worker and
 * gateway processes) against the same emulator: the cascade as it was, the cascade with streaming
 * recognition, the cascade with realtime speech, both, and the realtime operator. Then the
 * streaming gain again with a slower transcription after the commit, so that no claim rests on
 * one assumed provider figure.
 */
export interface DialogMode {
  name: string;
  description: string;
  env: Record<string, string>;
}

export const DIALOG_MODES: readonly DialogMode[] = [
  {
    name: 'cascade (before)',
    description: 'each phrase as a file to /v1/audio/transcriptions -> streamed chat -> /v1/audio/speech',
    env: { DIALOG_MODE: 'cascade', OPENAI_STT_API: 'transcriptions', OPENAI_TTS_API: 'speech' },
  },
  {
    name: 'cascade + streaming recognition',
    description: 'audio streamed to a Realtime transcription session while the callee talks; our endpointer commits',
    env: { DIALOG_MODE: 'cascade', OPENAI_STT_API: 'realtime', OPENAI_TTS_API: 'speech' },
  },
  {
    name: 'cascade + realtime speech',
    description: 'replies read aloud by a Realtime model, one session per call, G.711 straight from it',
    env: { DIALOG_MODE: 'cascade', OPENAI_STT_API: 'transcriptions', OPENAI_TTS_API: 'realtime' },
  },
  {
    name: 'cascade + both',
    description: 'streaming recognition and realtime speech together',
    env: { DIALOG_MODE: 'cascade', OPENAI_STT_API: 'realtime', OPENAI_TTS_API: 'realtime' },
  },
  {
    name: 'realtime operator',
    description: 'DIALOG_MODE=realtime: one speech-to-speech Realtime session hears the callee and answers in audio',
    env: { DIALOG_MODE: 'realtime' },
  },
];

export interface DialogModeLevel {
  calls: number;
  summary: LevelSummary;
  completed: number;
  underruns: number;
  /** CPU of our processes (API, worker, gateway), % of one core per call on the line. */
  cpuPercentPerCall: number | null;
  /** Peak resident memory of our processes above idle, per call on the line. */
  mbPerCall: number | null;
  /** Answers in which the voice read a piece with other words than written, of all answers. */
  readBackMismatchShare: number | null;
  endReasons: Record<string, number>;
  /** Phrases with a pause inside (persona `pauses`), and how many were cut off at the pause. */
  pausedPhrases: { said: number; cutOff: number };
}

export interface MeasuredDialogMode {
  name: string;
  description: string;
  env: Record<string, string>;
  /** The emulator's figures that differ from the profile (the sensitivity runs). */
  emulatorOverrides: Record<string, number>;
  levels: DialogModeLevel[];
}

export interface DialogModeDeps {
  levels: readonly number[];
  /** A fresh service with these settings against `emulator`. */
  startService(name: string, emulator: ReadyChild, env: Record<string, string>): Promise<{ target: LevelTarget; processes: Record<string, ReadyChild>; stop(): Promise<void> }>;
  emulator(overrides: Record<string, number>): Promise<ReadyChild>;
  phoneFor(index: number): string;
  rampMs: number;
  out(line: string): void;
}

function levelFigures(calls: number, result: LevelResult, ourProcesses: readonly string[]): DialogModeLevel {
  const summary = summarizeLevel(result);
  const cpu = ourProcesses.reduce((sum, name) => sum + (result.processes[name]?.cpuPercent ?? 0), 0);
  const onLine = Math.max(1, result.peakConcurrent);
  const answers = result.turns.length;
  return {
    calls,
    summary,
    completed: result.completed,
    underruns: result.playback.underruns,
    cpuPercentPerCall: Math.round((cpu / onLine) * 10) / 10,
    mbPerCall: result.serviceMbPerCall,
    readBackMismatchShare: answers > 0 ? Math.round((result.turns.filter((t) => t.readBackMismatches > 0).length / answers) * 1000) / 1000 : null,
    endReasons: result.endReasons,
    pausedPhrases: result.pausedPhrases,
  };
}

/** One design at the given levels on a fresh service, after a warm-up round. */
async function measureMode(deps: DialogModeDeps, mode: DialogMode, levels: readonly number[], overrides: Record<string, number>): Promise<MeasuredDialogMode> {
  const emulator = await deps.emulator(overrides);
  const label = Object.keys(overrides).length ? `${mode.name} [${Object.entries(overrides).map(([k, v]) => `${k}=${v}`).join(', ')}]` : mode.name;
  const service = await deps.startService(label, emulator, mode.env);
  const sampler = new ProcessSampler(new Map());
  for (const [name, child] of Object.entries(service.processes)) sampler.track(name, child.pid);
  sampler.start();
  const target: LevelTarget = { ...service.target, sampler, ourProcesses: Object.keys(service.processes), baselineRssMb: null };
  try {
    await runLevel(target, { label: 'warm-up', calls: 3, rampMs: deps.rampMs, phoneFor: deps.phoneFor });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    target.baselineRssMb = Object.fromEntries(target.ourProcesses.map((name) => [name, sampler.rssMb(name) ?? 0]));
    const measured: DialogModeLevel[] = [];
    for (const calls of levels) {
      const result = await runLevel(target, { label: `${label}, ${calls} calls`, calls, rampMs: deps.rampMs, phoneFor: deps.phoneFor });
      const figures = levelFigures(calls, result, target.ourProcesses);
      measured.push(figures);
      const s = figures.summary.stages;
      deps.out(
        `  ${label}, ${String(calls).padStart(2)} calls: v2v p50 ${figures.summary.voiceToVoice.p50} / p95 ${figures.summary.voiceToVoice.p95} ms ` +
          `(endpointing ${s.endpointing.p50}, stt ${s.stt.p50}, llm ${s.llm.p50}, tts ${s.tts_first_byte.p50}, dispatch ${s.temporal_dispatch.p50} ms p50), ` +
          `CPU ${figures.cpuPercentPerCall}% / ${figures.mbPerCall ?? '-'} MB per call, underruns ${figures.underruns}, completed ${figures.completed}/${calls}`,
      );
    }
    return { name: mode.name, description: mode.description, env: mode.env, emulatorOverrides: overrides, levels: measured };
  } finally {
    sampler.stop();
    await service.stop();
    await emulator.stop();
  }
}

/** Every design at every level; then streaming recognition again with the transcript 400 ms after the commit. */
export async function measureDialogModes(deps: DialogModeDeps): Promise<MeasuredDialogMode[]> {
  deps.out(`Dialog designs (issue 10): each on a fresh service and a fresh emulator, a warm-up round, then ${deps.levels.join(' and ')} calls`);
  const results: MeasuredDialogMode[] = [];
  for (const mode of DIALOG_MODES) results.push(await measureMode(deps, mode, deps.levels, {}));
  // How the streaming gain depends on the provider's post-commit delay (typical assumes 150 ms).
  const streaming = DIALOG_MODES.find((mode) => mode.name === 'cascade + streaming recognition')!;
  results.push(await measureMode(deps, streaming, [Math.min(...deps.levels)], { realtimeTranscriptMs: 400 }));
  return results;
}

const ms = (value: number | null | undefined) => (value === null || value === undefined ? '-' : String(value));

/** The designs as a markdown section. */
export function renderDialogModes(modes: readonly MeasuredDialogMode[], profileFigures: Record<string, number>): string {
  const lines: string[] = [];
  lines.push('## Dialog designs (issue 10)');
  lines.push('');
  lines.push(
    `Each design on a fresh service (API, worker, gateway) and a fresh emulator with the profile's figures (` +
      `file STT ${ms(profileFigures['sttMs'])} ms, realtime transcript after commit ${ms(profileFigures['realtimeTranscriptMs'])} ms, ` +
      `chat first token ${ms(profileFigures['chatFirstTokenMs'])} ms, speech first byte ${ms(profileFigures['ttsFirstByteMs'])} ms, realtime first audio ${ms(profileFigures['realtimeFirstAudioMs'])} ms). ` +
      'These provider figures are ASSUMED by the emulator profile, not measured against OpenAI; what the benchmark measures is everything around them. ' +
      'The emulator reads aloud word for word unless a test injects a misread, so the read-back share here can only show that the check runs.',
  );
  lines.push('');
  lines.push('| design | calls | v2v p50 | v2v p95 | endpointing | STT | model to first piece | speech first byte | dispatch | CPU %/call | MB/call | read back with other words | underruns | phrases with a pause cut off | completed |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const mode of modes) {
    const overrides = Object.entries(mode.emulatorOverrides);
    const name = overrides.length ? `${mode.name} (${overrides.map(([k, v]) => `${k} ${v}`).join(', ')})` : mode.name;
    for (const level of mode.levels) {
      const s = level.summary.stages;
      lines.push(
        `| ${name} | ${level.calls} | ${ms(level.summary.voiceToVoice.p50)} | ${ms(level.summary.voiceToVoice.p95)} | ${ms(s.endpointing.p50)} | ${ms(s.stt.p50)} | ${ms(s.llm.p50)} | ${ms(s.tts_first_byte.p50)} | ${ms(s.temporal_dispatch.p50)} | ${ms(level.cpuPercentPerCall)} | ${ms(level.mbPerCall)} | ${level.readBackMismatchShare === null ? '-' : `${Math.round(level.readBackMismatchShare * 1000) / 10} %`} | ${level.underruns} | ${level.pausedPhrases.cutOff} of ${level.pausedPhrases.said} | ${level.completed}/${level.calls} |`,
      );
    }
  }
  lines.push('');
  lines.push('Targets (typical profile, voice-to-voice p95):');
  for (const check of checkDialogTargets(modes)) lines.push(`- ${check}`);
  lines.push('');
  lines.push('Stage columns are p50 ms of the turns; "model to first piece" in the realtime operator is the model\'s first audio, and its STT column is the wait for the input transcription (the words for the transcript).');
  return lines.join('\n');
}

/** The issue's targets, each met or missed by how much and with the stage split that explains it. */
export function checkDialogTargets(modes: readonly MeasuredDialogMode[]): string[] {
  const plain = (name: string) => modes.find((mode) => mode.name === name && Object.keys(mode.emulatorOverrides).length === 0);
  const level = (name: string, calls: number) => plain(name)?.levels.find((l) => l.calls === calls);
  const checks: string[] = [];
  const target = (name: string, calls: number, limitMs: number) => {
    const measured = level(name, calls);
    if (!measured) return checks.push(`${name} at ${calls} calls: not measured`);
    const p95 = measured.summary.voiceToVoice.p95;
    if (p95 === null) return checks.push(`${name} at ${calls} calls: no turns measured`);
    const s = measured.summary.stages;
    const split = `endpointing ${ms(s.endpointing.p95)}, STT ${ms(s.stt.p95)}, model ${ms(s.llm.p95)}, speech ${ms(s.tts_first_byte.p95)}, dispatch ${ms(s.temporal_dispatch.p95)} ms (p95 each)`;
    return checks.push(p95 <= limitMs ? `${name}, ${calls} calls: p95 ${p95} ms <= ${limitMs} ms: met` : `${name}, ${calls} calls: p95 ${p95} ms > ${limitMs} ms: MISSED by ${p95 - limitMs} ms; stages: ${split}`);
  };
  target('cascade + streaming recognition', 3, 1100);
  target('cascade + streaming recognition', 30, 1300);
  target('realtime operator', 3, 900);
  const before = plain('cascade (before)');
  for (const mode of modes) {
    if (mode === before || Object.keys(mode.emulatorOverrides).length > 0) continue;
    for (const measured of mode.levels) {
      const baseline = before?.levels.find((l) => l.calls === measured.calls)?.underruns ?? 0;
      if (measured.underruns > baseline) checks.push(`${mode.name}, ${measured.calls} calls: ${measured.underruns} playback underruns (cascade before: ${baseline}): NEW UNDERRUNS`);
    }
  }
  if (!checks.some((check) => check.includes('NEW UNDERRUNS'))) checks.push('no design has more playback underruns than the cascade before it at the same level');
  const pauses = modes.flatMap((mode) => mode.levels.map((level) => ({ mode, level })));
  const cut = pauses.filter(({ level }) => level.pausedPhrases.cutOff > 0);
  const said = pauses.reduce((sum, { level }) => sum + level.pausedPhrases.said, 0);
  checks.push(
    cut.length === 0
      ? `nobody cut off at a pause: ${said} phrases with a pause inside (persona pauses), every one a single turn`
      : `CUT OFF at a pause: ${cut.map(({ mode, level }) => `${mode.name} at ${level.calls} calls: ${level.pausedPhrases.cutOff} of ${level.pausedPhrases.said}`).join('; ')}`,
  );
  return checks;
}
