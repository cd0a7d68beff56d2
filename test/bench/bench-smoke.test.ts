import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BenchReport } from '../../src/bench/report';

// The benchmark exactly as `npm run bench` runs it (built JS, every part in its own process), cut to
// one call of a few turns, so that it cannot rot. It checks that the figures are measured and add up,
// never how fast they are.
const root = path.resolve(__dirname, '../..');
const script = path.join(root, 'dist/src/bench/run-bench.js');
let outDir: string;
let report: BenchReport;
let stdout: string;

beforeAll(async () => {
  if (!existsSync(script)) throw new Error(`${script} is missing: npm test builds it (npm run build)`);
  outDir = mkdtempSync(path.join(os.tmpdir(), 'bench-smoke-'));
  stdout = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, [script, '--smoke', '--out', outDir], { cwd: root, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 }, (err, out, errOut) =>
      err ? reject(new Error(`bench --smoke failed: ${err.message}\n${errOut}`)) : resolve(out),
    ),
  );
  report = JSON.parse(readFileSync(path.join(outDir, 'fast.json'), 'utf8')) as BenchReport;
}, 300_000);
afterAll(() => {
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

test('one simulated call is talked to the end and every answer is measured from the callee ear', () => {
  expect(report.profile).toBe('fast');
  const [level] = report.levels;
  expect(level).toMatchObject({ calls: 1, result: { completed: 1, resultRowsOk: 1, peakConcurrent: 1, unmatchedTurns: 0 } });
  const turns = level!.result.turns;
  expect(turns.length).toBeGreaterThanOrEqual(2);
  for (const turn of turns) {
    // The emulator's `fast` profile is in force, and the stages are parts of the callee's wait.
    expect(turn.sttMs).toBeGreaterThanOrEqual(250);
    expect(turn.ttsFirstByteMs).toBeGreaterThanOrEqual(150);
    expect(turn.calleeV2vMs).toBeGreaterThan(turn.endpointingMs! + turn.sttMs! + turn.llmMs!);
    expect(turn.endpointingMs).toBeGreaterThanOrEqual(200); // the early pause at least
    expect(turn.dispatchMs).toEqual(expect.any(Number));
    expect(turn.overheadMs).toBe(turn.calleeV2vMs! - turn.endpointingMs! - turn.sttMs! - turn.llmMs! - turn.ttsFirstByteMs!);
  }
  expect(level!.summary.voiceToVoice.n).toBe(turns.length);
  expect(level!.result.greetingMs).toHaveLength(1);
});

test('playback, Temporal and per-process figures come from the running processes', () => {
  const { result } = report.levels[0]!;
  expect(result.playback.frames).toBeGreaterThan(100); // seconds of operator speech, frame by frame
  expect(result.calleeEar.frames).toBeGreaterThanOrEqual(result.playback.frames);
  expect(result.temporal.workflowTaskScheduleToStartMs.length).toBeGreaterThan(3);
  expect(result.temporal.turnScheduleToStartMs).toHaveLength(result.turns.length);
  for (const name of ['api', 'worker', 'media gateway', 'temporal server', 'openai emulator', 'simulated callees']) {
    expect(result.processes[name]).toMatchObject({ cpuPercent: expect.any(Number), peakRssMb: expect.any(Number) });
    expect(result.processes[name]!.peakRssMb).toBeGreaterThan(10);
  }
  expect(result.processes['media gateway']!.cpuPercent).toBeGreaterThan(0);
  expect(result.processes.worker!.cpuPercent).toBeGreaterThan(0);
  expect(result.serviceMbPerCall).toEqual(expect.any(Number));
});

test('the report says what was emulated, and comes as Markdown, JSON and a chart', () => {
  const markdown = readFileSync(path.join(outDir, 'fast.md'), 'utf8');
  // A callee that hangs up mid-reply (provider event only, line left open) hears the operator stop:
  // the turn was cancelled on the gateway long before the reply (seconds of speech) would have ended.
  expect(report.hangUps).toMatchObject({ calls: 1, replyAlreadyOver: 0 });
  expect(report.hangUps!.cancelledTurns).toBeGreaterThanOrEqual(1);
  expect(report.hangUps!.voiceAfterHangUpMs).toHaveLength(1);
  expect(report.hangUps!.voiceAfterHangUpMs[0]).toBeLessThan(1000);
  expect(markdown).toContain('## Hang-up mid-reply (1 calls)');
  expect(markdown).toContain('**OpenAI is the LOCAL EMULATOR**');
  expect(markdown).toContain('**the callees are SIMULATED**');
  expect(markdown).toMatch(/\| 1 \| 1 \| \d+ \| \d+ \| \d+ \|/); // the concurrency row with real numbers
  expect(stdout).toContain('## Targets');
  const svg = readFileSync(path.join(outDir, 'fast.svg'), 'utf8');
  expect(svg.startsWith('<svg')).toBe(true);
  expect(svg).toContain('<polyline');
  expect(report.targets.find((t) => t.name === 'greeting after answer p95')).toMatchObject({ met: expect.any(Boolean) });
});

test('the report and the chart can be rendered again from a run\'s JSON without running it again', async () => {
  const before = readFileSync(path.join(outDir, 'fast.md'), 'utf8');
  rmSync(path.join(outDir, 'fast.md'));
  rmSync(path.join(outDir, 'fast.svg'));
  await new Promise<void>((resolve, reject) =>
    execFile(process.execPath, [script, '--rerender', path.join(outDir, 'fast.json')], { cwd: root, timeout: 30_000 }, (err) => (err ? reject(err) : resolve())),
  );
  expect(readFileSync(path.join(outDir, 'fast.md'), 'utf8')).toBe(before);
  expect(readFileSync(path.join(outDir, 'fast.svg'), 'utf8')).toContain('<polyline');
});
