import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { z } from 'zod';
import { createLogger } from '../logging/logger';
import { EMULATOR_LATENCY_PROFILES } from '../openai/openai-setup';
import { freePort, startDevServer, type DevServer } from '../temporal/dev-server';
import { projectRoot } from '../util/project-root';
import { renderChart } from './chart';
import { startReadyChild, type ReadyChild } from './child-process';
import { startRoundRobin } from './round-robin';
import { distribution } from './stats';
import { ProcessSampler } from './process-sampler';
import { renderMarkdown, type BenchReport, type MeasuredLevel, type MeasuredVariant, type TargetCheck } from './report';
import { runHangUps, runLevel, summarizeLevel, type LevelResult, type LevelTarget } from './run-level';
import { measureDialogModes, renderDialogModes, type MeasuredDialogMode } from './dialog-modes';
import { LINE_OPEN_AFTER_HANGUP_MS } from '../telephony/simulated/callee-behaviours';

/**
 * `npm run bench`: N concurrent simulated calls through the whole stack (Temporal dev server, and
 * the worker, API and media gateway as deployed, WebSocket media, VAD) against the LOCAL OpenAI EMULATOR with a named
 * latency profile and SIMULATED callees, each in its own process. Prints and writes figures
 * (bench/results/<profile>.{json,md,svg}); it asserts nothing.
 */
const ArgsSchema = z.object({
  profile: z.enum(['fast', 'typical', 'slow']).default('typical'),
  levels: z.array(z.number().int().min(1).max(500)).default([1, 3, 10, 30, 50]),
  /** After the levels, keep adding calls until the machine no longer sustains them. */
  findMax: z.boolean().default(true),
  variants: z.boolean().default(true),
  /** Measured rounds of 3 calls per compared variant (after one warm-up round). */
  variantRounds: z.number().int().min(1).max(10).default(2),
  out: z.string().default('bench/results'),
  /** Turn limit per call (shorter calls for the smoke run). */
  maxTurns: z.number().int().min(1).max(50).optional(),
  /** One call, a few turns, no variants: the test suite runs this so the benchmark cannot rot. */
  smoke: z.boolean().default(false),
  /** This many calls once more with two gateways behind one address, reported side by side with one (0 = not). */
  twoGatewaysAt: z.number().int().min(0).max(500).default(50),
  /** Calls whose callee hangs up mid-reply, to measure how soon the operator's voice stops (0 = not). */
  hangupCalls: z.number().int().min(0).max(100).default(10),
  /** The dialog designs of issue 10 side by side at these levels (empty: not). */
  dialogModeLevels: z.array(z.number().int().min(1).max(200)).default([3, 30]),
  /** Only the dialog designs (written to <profile>-dialog-modes.*), nothing else. */
  onlyDialogModes: z.boolean().default(false),
});
type BenchArgs = z.infer<typeof ArgsSchema>;

function parseArgs(argv: string[]): BenchArgs {
  const raw: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.replace(/^--/, '').split('=');
    const value = inline ?? (argv[i + 1] && !argv[i + 1]!.startsWith('--') ? argv[++i] : undefined);
    switch (flag) {
      case 'profile':
      case 'out':
        raw[flag] = value;
        break;
      case 'levels':
        raw.levels = value?.split(',').map(Number);
        break;
      case 'variant-rounds':
        raw.variantRounds = Number(value);
        break;
      case 'max-turns':
        raw.maxTurns = Number(value);
        break;
      case 'no-find-max':
        raw.findMax = false;
        break;
      case 'no-variants':
        raw.variants = false;
        break;
      case 'two-gateways-at':
        raw.twoGatewaysAt = Number(value);
        break;
      case 'hangup-calls':
        raw.hangupCalls = Number(value);
        break;
      case 'no-two-gateways':
        raw.twoGatewaysAt = 0;
        break;
      case 'dialog-modes':
        raw.dialogModeLevels = value?.split(',').map(Number);
        break;
      case 'no-dialog-modes':
        raw.dialogModeLevels = [];
        break;
      case 'only-dialog-modes':
        raw.onlyDialogModes = true;
        break;
      case 'smoke':
        raw.smoke = true;
        break;
      default:
        throw new Error(`unknown option --${flag} (options: --profile fast|typical|slow, --levels 1,3,10, --no-find-max, --no-variants, --variant-rounds N, --max-turns N, --two-gateways-at N, --no-two-gateways, --hangup-calls N, --dialog-modes 3,30, --no-dialog-modes, --only-dialog-modes, --out DIR, --smoke, --rerender FILE.json)`);
    }
  }
  const args = ArgsSchema.parse(raw);
  return args.smoke
    ? { ...args, levels: [1], findMax: false, variants: false, twoGatewaysAt: 0, hangupCalls: 1, dialogModeLevels: [], onlyDialogModes: false, maxTurns: args.maxTurns ?? 2, profile: raw.profile ? args.profile : 'fast' }
    : args;
}

/** Talking personas only, in turn (suffix rules of the simulator): every call is a real conversation. */
const PERSONA_SUFFIXES: Record<string, string> = { '0001': 'interested', '0005': 'not_interested', '0006': 'call_later', '0009': 'unclear' };
const phoneFor = (index: number) => `+7999${String(index % 1000).padStart(3, '0')}${Object.keys(PERSONA_SUFFIXES)[index % 4]}`;
const RAMP_MS = 100;
/** Each service started gets task queues of its own, so services sharing a Temporal server never take each other's calls. */
const TASK_QUEUE_PREFIX = 'bench-calls';
const MAX_SEARCH_CALLS = 200;
const SPEC_V2V_LIMIT_MS = 2000;

interface Variant {
  name: string;
  description: string;
  env?: Record<string, string>;
  eagerActivities?: boolean;
  profile?: BenchArgs['profile'];
}

const VARIANTS: Variant[] = [
  { name: 'as built', description: 'sentence-streamed TTS; turn = one activity on the gateway\'s own task queue; preemptive reply after 200 ms' },
  { name: 'whole-reply TTS', description: 'TTS starts only when the model has finished the reply (REPLY_SPEECH=whole)', env: { REPLY_SPEECH: 'whole' } },
  { name: 'no preemptive reply', description: 'STT and the model start only after the full 500 ms end-of-phrase silence (VAD_EARLY_SILENCE_MS=0)', env: { VAD_EARLY_SILENCE_MS: '0' } },
  { name: 'no eager dispatch', description: 'the Temporal server without eager activity execution: the worker polls for the turn activity', eagerActivities: false },
];

/** Our settings only, so the parent's shell (a .env, real keys) cannot leak into a benchmark process. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const ours = /^(OPENAI_|TELEPHONY_|TEMPORAL_|GOOGLE_|API_|MEDIA_|RESULTS_|VAD_|CALL_|MAX_CONCURRENT|REPLY_SPEECH|PUBLIC_BASE_URL|SYSTEM_PROMPT|DIALOG_|LOG_LEVEL|NODE_ENV|PORT$)/;
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!ours.test(key)) env[key] = value;
  return { ...env, NODE_ENV: 'development', LOG_LEVEL: 'warn', ...extra };
}

function machine(): BenchReport['machine'] {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown CPU',
    cores: cpus.length,
    memoryGb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    os: `${os.type()} ${os.release()}`,
    node: process.versions.node,
  };
}

function whyNotSustained(level: LevelResult, v2vP95: number | null): string[] {
  const problems: string[] = [];
  if (level.completed < level.calls) problems.push(`${level.calls - level.completed} calls not completed (${JSON.stringify(level.endReasons)})`);
  if (level.resultRowsOk < level.calls) problems.push(`${level.calls - level.resultRowsOk} calls without exactly one results row`);
  if (level.playback.resyncs > 0) problems.push(`playback fell > 200 ms behind ${level.playback.resyncs} times`);
  if (v2vP95 === null || v2vP95 > SPEC_V2V_LIMIT_MS) problems.push(`voice-to-voice p95 ${v2vP95 ?? '-'} ms > ${SPEC_V2V_LIMIT_MS}`);
  return problems;
}

/** The figures of the run this one replaces (the committed report), to compare with. */
function previousRun(file: string): BenchReport['previous'] {
  try {
    const old = JSON.parse(readFileSync(file, 'utf8')) as BenchReport;
    return { generatedAt: old.generatedAt, largestSustained: old.largestSustained, levels: old.levels.map((l) => ({ calls: l.calls, summary: l.summary, result: l.result })) };
  } catch {
    return null;
  }
}

/** Several measured rounds as one sample (variants). */
function mergeRounds(rounds: LevelResult[]): LevelResult {
  const [first, ...rest] = rounds;
  return rest.reduce(
    (merged, r) => ({
      ...merged,
      calls: merged.calls + r.calls,
      completed: merged.completed + r.completed,
      turns: [...merged.turns, ...r.turns],
      greetingMs: [...merged.greetingMs, ...r.greetingMs],
      playback: { ...merged.playback, frames: merged.playback.frames + r.playback.frames, underruns: merged.playback.underruns + r.playback.underruns },
      temporal: {
        turnScheduleToStartMs: [...merged.temporal.turnScheduleToStartMs, ...r.temporal.turnScheduleToStartMs],
        workflowTaskScheduleToStartMs: [...merged.temporal.workflowTaskScheduleToStartMs, ...r.temporal.workflowTaskScheduleToStartMs],
        activityScheduleToStartMs: [...merged.temporal.activityScheduleToStartMs, ...r.temporal.activityScheduleToStartMs],
      },
    }),
    first!,
  );
}

const STAGE_NAMES: Record<string, string> = {
  endpointing: 'endpointing wait',
  stt: 'STT',
  llm: 'LLM to the first piece',
  tts_first_byte: 'TTS first byte',
  temporal_dispatch: 'Temporal dispatch',
  other_overhead: 'other own overhead',
};

/** Where a missed latency target comes from: the largest stage, and the one that grew most over the single-call run. */
function responsibleStage(level: MeasuredLevel, baseline: MeasuredLevel | undefined, kind: 'v2v' | 'overhead'): string {
  const stages = Object.entries(level.summary.stages)
    .filter(([stage]) => stage in STAGE_NAMES && (kind === 'v2v' || stage === 'temporal_dispatch' || stage === 'other_overhead'))
    .map(([stage, d]) => ({ stage, p95: d.p95 ?? 0, delta: (d.p95 ?? 0) - (baseline?.summary.stages[stage as keyof typeof level.summary.stages].p95 ?? 0) }));
  const largest = [...stages].sort((a, b) => b.p95 - a.p95)[0];
  const grew = [...stages].sort((a, b) => b.delta - a.delta)[0];
  const parts = kind === 'overhead' ? stages.map((s) => `${STAGE_NAMES[s.stage]} p95 ${s.p95} ms`) : largest ? [`largest stage: ${STAGE_NAMES[largest.stage]} p95 ${largest.p95} ms`] : [];
  if (baseline && level !== baseline && grew && grew.delta >= 20) parts.push(`grew most over 1 call: ${STAGE_NAMES[grew.stage]} +${Math.round(grew.delta)} ms`);
  return parts.join('; ');
}

function checkTargets(levels: MeasuredLevel[]): TargetCheck[] {
  const at = (calls: number) => levels.find((l) => l.calls === calls);
  const baseline = at(1);
  const checks: TargetCheck[] = [];
  const latency = (name: string, calls: number, limit: number, kind: 'v2v' | 'overhead', pick: (l: MeasuredLevel) => number | null) => {
    const level = at(calls);
    const value = level ? pick(level) : null;
    if (!level || value === null) return checks.push({ name, target: `<= ${limit} ms at ${calls} calls`, measured: 'not run', met: false, missedBy: 'not measured in this run' });
    const met = value <= limit;
    checks.push({ name, target: `<= ${limit} ms at ${calls} calls`, measured: `${value} ms`, met, ...(met ? {} : { missedBy: `${value - limit} ms`, responsible: responsibleStage(level, baseline, kind) }) });
  };
  latency('voice-to-voice p95', 3, 1500, 'v2v', (l) => l.summary.voiceToVoice.p95);
  latency('voice-to-voice p95', 30, 1800, 'v2v', (l) => l.summary.voiceToVoice.p95);
  latency('own overhead p95', 3, 40, 'overhead', (l) => l.summary.ownOverhead.p95);
  latency('own overhead p95', 50, 100, 'overhead', (l) => l.summary.ownOverhead.p95);
  const largest = Math.max(0, ...levels.filter((l) => l.sustained).map((l) => l.calls));
  checks.push({ name: 'calls sustained by one gateway', target: '>= 50', measured: `${largest}`, met: largest >= 50, ...(largest >= 50 ? {} : { missedBy: `${50 - largest} calls` }) });
  const upTo50 = levels.filter((l) => l.calls <= 50);
  const worstGreeting = upTo50.map((l) => ({ calls: l.calls, p95: l.summary.greeting.p95 ?? Infinity })).sort((a, b) => b.p95 - a.p95)[0];
  if (worstGreeting) {
    const met = worstGreeting.p95 <= 300;
    checks.push({ name: 'greeting after answer p95', target: '<= 300 ms (every level up to 50 calls)', measured: `${worstGreeting.p95} ms (worst, at ${worstGreeting.calls} calls)`, met, ...(met ? {} : { missedBy: `${worstGreeting.p95 - 300} ms` }) });
  }
  const underruns = upTo50.reduce((sum, l) => sum + l.result.playback.underruns, 0);
  const worst = [...upTo50].sort((a, b) => b.result.playback.underruns - a.result.playback.underruns)[0];
  const stalls = worst
    ? `worst at ${worst.calls} calls (${worst.result.playback.underruns}): the gateway's event loop lagged p99 ${worst.result.gatewayRuntime.eventLoopLagP99Ms} ms / max ${worst.result.gatewayRuntime.eventLoopLagMaxMs} ms ` +
      `(GC ${worst.result.gatewayRuntime.gcPauseMs} ms in ${worst.result.wallSec} s), frames left up to ${worst.result.playback.latenessP95Ms} ms late at p95, ` +
      `while the TTS stream runs ahead of playback: the media gateway falls behind its 20 ms schedule (its own CPU, on 2 cores shared with the far ends)`
    : undefined;
  checks.push({
    name: 'playback underruns',
    target: '0 up to 50 calls',
    measured: upTo50.map((l) => `${l.result.playback.underruns} at ${l.calls}`).join(', '),
    met: underruns === 0,
    ...(underruns === 0 ? {} : { missedBy: `${underruns} underruns`, responsible: stalls }),
  });
  const memoryLevel = at(50) ?? upTo50.at(-1);
  const perCall = memoryLevel?.result.serviceMbPerCall ?? null;
  if (memoryLevel && perCall !== null) {
    const met = perCall <= 20;
    checks.push({ name: 'peak memory per active call (api + worker + gateway)', target: '<= 20 MB', measured: `${perCall} MB (at ${memoryLevel.calls} calls)`, met, ...(met ? {} : { missedBy: `${Math.round((perCall - 20) * 10) / 10} MB` }) });
  }
  return checks;
}

/** Writes <base>.json, .md and .svg; returns the Markdown. */
function writeReport(report: BenchReport, base: string): string {
  writeFileSync(`${base}.json`, JSON.stringify(report, null, 2) + '\n');
  const markdown = renderMarkdown(report);
  writeFileSync(`${base}.md`, markdown + '\n');
  writeFileSync(
    `${base}.svg`,
    renderChart(
      `Voice caller: profile ${report.profile}, ${report.machine.cores} x ${report.machine.cpu}`,
      report.levels.map((l) => ({ calls: l.calls, summary: l.summary })),
      report.variants.map((v) => ({ name: v.name, p50: v.summary.voiceToVoice.p50, p95: v.summary.voiceToVoice.p95 })),
    ),
  );
  return markdown;
}

async function main() {
  const rerender = process.argv.indexOf('--rerender');
  if (rerender > 0) {
    // The report and chart again from a run's JSON (after a change to how they are laid out), without re-running it.
    const file = path.resolve(process.argv[rerender + 1] ?? '');
    const report = JSON.parse(readFileSync(file, 'utf8')) as BenchReport;
    report.targets = checkTargets(report.levels);
    report.gatewayComparison ??= null;
    report.hangUps ??= null;
    writeReport(report, file.replace(/\.json$/, ''));
    process.stdout.write(`Re-rendered ${file.replace(/\.json$/, '')}.md and .svg\n`);
    return;
  }
  const args = parseArgs(process.argv.slice(2));
  const root = projectRoot();
  const dist = path.join(root, 'dist/src');
  const work = path.join(root, '.data/bench');
  const outDir = path.resolve(root, args.out);
  mkdirSync(work, { recursive: true });
  mkdirSync(outDir, { recursive: true });
  const secret = () => randomBytes(24).toString('hex');
  const secrets = { api: secret(), webhook: secret(), media: secret(), provider: secret() };
  const logger = createLogger({ level: 'warn', name: 'bench', secrets: Object.values(secrets) });
  const out = (line = '') => process.stdout.write(line + '\n');
  const stops: (() => Promise<void>)[] = [];
  const sampler = new ProcessSampler(new Map([['bench driver', process.pid]]));

  const startDev = async (eagerActivities: boolean): Promise<{ dev: DevServer; client: Client }> => {
    const dev = await startDevServer({ logger, eagerActivities });
    const client = new Client({ connection: await Connection.connect({ address: dev.address }) });
    stops.push(async () => {
      await client.connection.close();
      await dev.stop();
    });
    return { dev, client };
  };
  let emulators = 0;
  const startEmulator = async (profile: string, overrides: Record<string, number> = {}): Promise<ReadyChild> => {
    const child = await startReadyChild({
      script: path.join(dist, 'openai/emulator/main.js'),
      args: [profile, ...Object.entries(overrides).map(([name, value]) => `${name}=${value}`)],
      env: cleanEnv({}),
      readyKey: 'emulator_url',
      logFile: path.join(work, `logs/emulator-${profile}-${++emulators}.log`),
    });
    stops.push(child.stop);
    return child;
  };
  const provider = await startReadyChild({
    script: path.join(dist, 'telephony/simulated/provider-main.js'),
    env: cleanEnv({ TELEPHONY_WEBHOOK_SECRET: secrets.webhook, TELEPHONY_API_KEY: secrets.provider }),
    readyKey: 'provider_url',
    logFile: path.join(work, 'logs/simulated-provider.log'),
  });
  stops.push(provider.stop);
  const providerUrl = String(provider.ready.provider_url);

  /**
   * Our service as it is deployed (docker-compose, Render): the API, the worker and one or more media
   * gateways (each also a Temporal worker on its own task queue, behind one round-robin address when
   * there are several), each started from its production entry point in a process of its own.
   */
  const startService = async (name: string, temporal: { dev: DevServer; client: Client }, emulator: { ready: Record<string, unknown> }, env: Record<string, string> = {}, gateways = 1) => {
    const slug = name.replace(/\W+/g, '-');
    const taskQueue = `${TASK_QUEUE_PREFIX}-${slug}`;
    const resultsCsvPath = path.join(work, `results-${slug}.csv`);
    const apiPort = await freePort();
    const gatewayPorts: number[] = [];
    for (let i = 0; i < gateways; i++) gatewayPorts.push(await freePort());
    const balancer = gateways > 1 ? await startRoundRobin(() => gatewayPorts) : null;
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const gatewayHttpUrls = gatewayPorts.map((port) => `http://127.0.0.1:${port}`);
    const shared = cleanEnv({
      TEMPORAL_ADDRESS: temporal.dev.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      OPENAI_API_KEY: 'local-emulator-no-key',
      OPENAI_BASE_URL: String(emulator.ready.emulator_url),
      // The emulator's Realtime WebSocket has a self-signed certificate.
      NODE_EXTRA_CA_CERTS: String(emulator.ready.ca_file),
      TELEPHONY_PROVIDER: 'simulated',
      TELEPHONY_CONFIG: JSON.stringify({ providerUrl }),
      TELEPHONY_API_KEY: secrets.provider,
      TELEPHONY_WEBHOOK_SECRET: secrets.webhook,
      API_AUTH_KEY: secrets.api,
      MEDIA_TOKEN_SECRET: secrets.media,
      API_PORT: String(apiPort),
      MEDIA_GATEWAY_PUBLIC_URL: `ws://127.0.0.1:${balancer?.port ?? gatewayPorts[0]}`,
      PUBLIC_BASE_URL: apiUrl,
      MAX_CONCURRENT_CALLS: '1000',
      RESULTS_CSV_PATH: resultsCsvPath,
      ...(args.maxTurns ? { CALL_MAX_TURNS: String(args.maxTurns) } : {}),
      ...env,
    });
    const answers = (url: string) => async () => (await fetch(url, { signal: AbortSignal.timeout(1000) })).ok;
    const part = (process: string, script: string, probe: (pid: number) => Promise<boolean>, extra: NodeJS.ProcessEnv = {}) =>
      startReadyChild({ script: path.join(dist, script), env: { ...shared, ...extra }, probe, logFile: path.join(work, `logs/${slug}-${process}.log`), timeoutMs: 120_000 });
    const gatewayChildren: Record<string, ReadyChild> = {};
    for (const [i, port] of gatewayPorts.entries()) {
      const label = gateways === 1 ? 'media gateway' : `media gateway ${i + 1}`;
      gatewayChildren[label] = await part(`gateway-${i + 1}`, 'media-gateway/main.js', answers(`http://127.0.0.1:${port}/healthz`), { MEDIA_GATEWAY_PORT: String(port), MEDIA_GATEWAY_ID: `bench-${i + 1}` });
    }
    const api = await part('api', 'api/main.js', answers(`${apiUrl}/healthz`));
    const worker = await part('worker', 'worker/main.js', async (pid) => {
      // Ready once this worker (identity "<pid>@host") polls the task queue.
      const { pollers } = await temporal.client.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue }, taskQueueType: 1 });
      return (pollers ?? []).some((poller) => poller.identity?.startsWith(`${pid}@`));
    });
    const children: Record<string, ReadyChild> = { api, worker, ...gatewayChildren };
    return {
      apiUrl,
      gatewayHttpUrls,
      resultsCsvPath,
      children,
      stop: async () => {
        await api.stop();
        await worker.stop();
        for (const gateway of Object.values(gatewayChildren)) await gateway.stop();
        await balancer?.close();
      },
    };
  };

  /** The dialog designs of issue 10 (fresh service and emulator each), written to <profile>-dialog-modes.{json,md}. */
  const runDialogModes = async (temporal: { dev: DevServer; client: Client }): Promise<MeasuredDialogMode[]> => {
    const modes = await measureDialogModes({
      levels: args.dialogModeLevels,
      rampMs: RAMP_MS,
      // The talking personas and, every fifth call, one who pauses mid-phrase (nobody may be cut off there).
      phoneFor: (i) => (i % 5 === 4 ? `+7999${String(i % 1000).padStart(3, '0')}0013` : phoneFor(i - Math.floor((i + 1) / 5))),
      out,
      emulator: (overrides) => startEmulator(args.profile, overrides),
      startService: async (name, emulator, env) => {
        const svc = await startService(name, temporal, emulator, env);
        const target: LevelTarget = {
          apiUrl: svc.apiUrl,
          gatewayHttpUrls: svc.gatewayHttpUrls,
          apiKey: secrets.api,
          providerUrl,
          providerApiKey: secrets.provider,
          client: temporal.client,
          sampler,
          resultsCsvPath: svc.resultsCsvPath,
          ourProcesses: Object.keys(svc.children),
          baselineRssMb: null,
        };
        return { target, processes: svc.children, stop: svc.stop };
      },
    });
    const base = path.join(outDir, `${args.profile}-dialog-modes`);
    const markdown = renderDialogModes(modes, { ...EMULATOR_LATENCY_PROFILES[args.profile] });
    writeFileSync(`${base}.json`, JSON.stringify({ generatedAt: new Date().toISOString(), command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`, machine: machine(), profile: args.profile, modes }, null, 2) + '\n');
    writeFileSync(`${base}.md`, `# Dialog designs: profile ${args.profile}\n\n${markdown}\n`);
    out();
    out(markdown);
    out(`Written: ${path.relative(process.cwd(), base)}.json, .md`);
    return modes;
  };

  try {
    const main = await startDev(true);
    if (args.onlyDialogModes) {
      await runDialogModes(main);
      return;
    }
    const emulator = await startEmulator(args.profile);
    const service = await startService('as built', main, emulator);
    stops.push(service.stop);
    for (const [name, child] of Object.entries(service.children)) sampler.track(name, child.pid);
    if (main.dev.pid) sampler.track('temporal server', main.dev.pid);
    sampler.track('openai emulator', emulator.pid);
    sampler.track('simulated callees', provider.pid);
    sampler.start();
    const target: LevelTarget = {
      apiUrl: service.apiUrl,
      gatewayHttpUrls: service.gatewayHttpUrls,
      apiKey: secrets.api,
      providerUrl,
      providerApiKey: secrets.provider,
      client: main.client,
      sampler,
      resultsCsvPath: service.resultsCsvPath,
      ourProcesses: Object.keys(service.children),
      baselineRssMb: null,
    };
    out(`Benchmark: profile ${args.profile}, levels ${args.levels.join(', ')}${args.findMax ? ', then more until not sustained' : ''}${args.variants ? `, ${VARIANTS.length} compared designs` : ''}`);
    out('OpenAI: LOCAL EMULATOR (own process); callees: SIMULATED (own process); nothing is dialed and no real API is called');
    // What a running service has warm (JIT, connection pools, workflow cache) is warmed first, not
    // measured; the smoke run skips it (it checks that the benchmark works, not the figures).
    if (!args.smoke) await runLevel(target, { label: 'warm-up', calls: Math.min(3, Math.max(...args.levels)), rampMs: RAMP_MS, phoneFor });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    target.baselineRssMb = Object.fromEntries(target.ourProcesses.map((name) => [name, sampler.rssMb(name) ?? 0]));

    const levels: MeasuredLevel[] = [];
    const measure = async (calls: number) => {
      const result = await runLevel(target, { label: `${calls} calls`, calls, rampMs: RAMP_MS, phoneFor });
      const summary = summarizeLevel(result);
      const notSustained = whyNotSustained(result, summary.voiceToVoice.p95);
      const level: MeasuredLevel = { calls, result, summary, sustained: notSustained.length === 0, notSustained };
      levels.push(level);
      out(
        `  ${String(calls).padStart(3)} calls: v2v p50 ${summary.voiceToVoice.p50} / p95 ${summary.voiceToVoice.p95} ms, own overhead p95 ${summary.ownOverhead.p95} ms, ` +
          `greeting p95 ${summary.greeting.p95} ms, underruns ${result.playback.underruns}, completed ${result.completed}/${calls}, CPU % gateway ${result.processes['media gateway']?.cpuPercent ?? '-'} / worker ${result.processes.worker?.cpuPercent ?? '-'} / api ${result.processes.api?.cpuPercent ?? '-'} (${result.wallSec} s)`,
      );
      return level;
    };
    for (const calls of args.levels) await measure(calls);
    if (args.findMax) {
      let last = levels.at(-1)!;
      while (last.sustained && last.calls < MAX_SEARCH_CALLS) last = await measure(Math.min(MAX_SEARCH_CALLS, last.calls + Math.max(25, Math.round(last.calls / 2))));
      // Narrow the gap between the largest level sustained and the first that was not, twice at most.
      for (let step = 0; step < 2; step++) {
        const good = Math.max(0, ...levels.filter((l) => l.sustained).map((l) => l.calls));
        const bad = Math.min(...levels.filter((l) => !l.sustained && l.calls > good).map((l) => l.calls));
        if (!Number.isFinite(bad) || good === 0 || bad - good <= 5) break;
        await measure(Math.round((good + bad) / 2));
      }
      levels.sort((a, b) => a.calls - b.calls);
    }
    if (args.twoGatewaysAt > 0 && !levels.some((l) => l.calls === args.twoGatewaysAt)) {
      await measure(args.twoGatewaysAt);
      levels.sort((a, b) => a.calls - b.calls);
    }
    const sustained = levels.filter((l) => l.sustained).map((l) => l.calls);
    let hangUps: BenchReport['hangUps'] = null;
    if (args.hangupCalls > 0) {
      const result = await runHangUps(target, { calls: args.hangupCalls, rampMs: 300, phoneFor: (i) => `+7999${String(i % 1000).padStart(3, '0')}0014`, lineOpenMs: LINE_OPEN_AFTER_HANGUP_MS });
      hangUps = { ...result, summary: distribution(result.voiceAfterHangUpMs) };
      out(`Hang-up mid-reply (${result.calls} calls, provider event only): operator voice heard after it p50 ${hangUps.summary.p50} / p95 ${hangUps.summary.p95} / max ${hangUps.summary.max} ms; ${result.cancelledTurns} turns cancelled; ${result.replyAlreadyOver} replies already over`);
    }
    sampler.stop();

    // The same number of calls with two gateways behind one address, on a fresh service.
    let gatewayComparison: BenchReport['gatewayComparison'] = null;
    if (args.twoGatewaysAt > 0) {
      const calls = args.twoGatewaysAt;
      out(`Two gateways: ${calls} calls through two media gateway processes behind one round-robin address`);
      const svc = await startService('two gateways', main, emulator, {}, 2);
      const sampler2 = new ProcessSampler(new Map());
      for (const [name, child] of Object.entries(svc.children)) sampler2.track(name, child.pid);
      sampler2.start();
      try {
        const twoTarget: LevelTarget = { ...target, apiUrl: svc.apiUrl, gatewayHttpUrls: svc.gatewayHttpUrls, resultsCsvPath: svc.resultsCsvPath, sampler: sampler2, ourProcesses: Object.keys(svc.children), baselineRssMb: null };
        await runLevel(twoTarget, { label: 'warm-up', calls: 3, rampMs: RAMP_MS, phoneFor });
        await new Promise((resolve) => setTimeout(resolve, 1000));
        twoTarget.baselineRssMb = Object.fromEntries(twoTarget.ourProcesses.map((name) => [name, sampler2.rssMb(name) ?? 0]));
        const result = await runLevel(twoTarget, { label: `${calls} calls, two gateways`, calls, rampMs: RAMP_MS, phoneFor });
        const summary = summarizeLevel(result);
        const notSustained = whyNotSustained(result, summary.voiceToVoice.p95);
        const two: MeasuredLevel = { calls, result, summary, sustained: notSustained.length === 0, notSustained };
        gatewayComparison = { calls, one: levels.find((l) => l.calls === calls)!, two };
        out(`  ${calls} calls on two gateways: v2v p50 ${summary.voiceToVoice.p50} / p95 ${summary.voiceToVoice.p95} ms, own overhead p95 ${summary.ownOverhead.p95} ms, underruns ${result.playback.underruns}, completed ${result.completed}/${calls}`);
      } finally {
        sampler2.stop();
        await svc.stop();
      }
    }

    const variants: MeasuredVariant[] = [];
    if (args.variants) {
      out(`Compared designs: each on a fresh service process, one warm-up round, then ${args.variantRounds} rounds of 3 calls`);
      let asBuilt: MeasuredVariant | null = null;
      for (const variant of VARIANTS) {
        const temporal = variant.eagerActivities === false ? await startDev(false) : main;
        const emu = variant.profile && variant.profile !== args.profile ? await startEmulator(variant.profile) : emulator;
        const svc = await startService(variant.name, temporal, emu, variant.env);
        const variantTarget: LevelTarget = { ...target, apiUrl: svc.apiUrl, gatewayHttpUrls: svc.gatewayHttpUrls, client: temporal.client, resultsCsvPath: svc.resultsCsvPath, baselineRssMb: null };
        try {
          await runLevel(variantTarget, { label: 'warm-up', calls: 3, rampMs: RAMP_MS, phoneFor });
          const rounds: LevelResult[] = [];
          for (let r = 0; r < args.variantRounds; r++) rounds.push(await runLevel(variantTarget, { label: variant.name, calls: 3, rampMs: RAMP_MS, phoneFor: (i) => phoneFor(i + r) }));
          const summary = summarizeLevel(mergeRounds(rounds));
          const ratio = (mine: number | null, theirs: number | null | undefined) => (mine !== null && theirs ? Math.round((mine / theirs) * 100) / 100 : null);
          const measured: MeasuredVariant = {
            name: variant.name,
            description: variant.description,
            calls: rounds.reduce((sum, r) => sum + r.calls, 0),
            summary,
            ratioP50: ratio(summary.voiceToVoice.p50, asBuilt?.summary.voiceToVoice.p50 ?? summary.voiceToVoice.p50),
            ratioP95: ratio(summary.voiceToVoice.p95, asBuilt?.summary.voiceToVoice.p95 ?? summary.voiceToVoice.p95),
          };
          asBuilt ??= measured;
          variants.push(measured);
          out(`  ${variant.name}: v2v p50 ${summary.voiceToVoice.p50} / p95 ${summary.voiceToVoice.p95} ms (x${measured.ratioP50} / x${measured.ratioP95} of as built)`);
        } finally {
          await svc.stop();
        }
      }
    }

    const dialogModes = args.dialogModeLevels.length > 0 ? await runDialogModes(main) : [];

    const report: BenchReport = {
      generatedAt: new Date().toISOString(),
      command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
      machine: machine(),
      profile: args.profile,
      profileFigures: { ...EMULATOR_LATENCY_PROFILES[args.profile] },
      settings: { vadSilenceMs: 500, vadEarlySilenceMs: 200, rampMs: RAMP_MS, personas: Object.values(PERSONA_SUFFIXES) },
      levels,
      largestSustained: sustained.length ? Math.max(...sustained) : null,
      variants,
      gatewayComparison,
      hangUps,
      dialogModes,
      previous: previousRun(path.join(outDir, `${args.profile}.json`)),
      targets: checkTargets(levels),
    };
    const base = path.join(outDir, args.profile);
    out();
    out(writeReport(report, base));
    out();
    out(`Written: ${path.relative(process.cwd(), base)}.json, .md, .svg`);
  } finally {
    sampler.stop();
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`benchmark failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
