import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { CallSession, TurnMetrics } from '../domain/call-session';
import { bootstrap } from '../process/bootstrap';
import { startStack } from '../stack';
import { projectRoot } from '../util/project-root';

/**
 * `npm run latency`: three concurrent simulated voice calls (a warm-up round, then three) through the whole stack
 * with the OpenAI emulator imitating provider latency (profile `typical` unless
 * OPENAI_EMULATOR_LATENCY says otherwise), then the issue's targets against what was measured.
 * It prints figures; it asserts nothing.
 */
const PHONES = ['+79990000001', '+79990000005', '+79990000006'];
const ROUNDS = 3;

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** The emulator in a process of its own, like a remote provider: its work stays off our event loop. */
async function startEmulatorProcess(profile: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [path.join(__dirname, '../openai/emulator/main.js'), profile], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
    createInterface({ input: child.stdout! }).once('line', (line) => resolve((JSON.parse(line) as { emulator_url: string }).emulator_url));
  });
  return { url, child };
}

async function main() {
  process.env.LOG_LEVEL ??= 'warn';
  process.env.RESULTS_CSV_PATH ??= path.join(projectRoot(), '.data/latency-results.csv');
  // Fixed test numbers: never through a real provider.
  process.env.TELEPHONY_PROVIDER = 'simulated';
  delete process.env.TELEPHONY_CONFIG;
  let emulator: { url: string; child: ChildProcess } | null = null;
  const profile = process.env.OPENAI_EMULATOR_LATENCY ?? 'typical';
  if (!process.env.OPENAI_API_KEY) {
    emulator = await startEmulatorProcess(profile);
    process.env.OPENAI_API_KEY = 'local-emulator-no-key';
    process.env.OPENAI_BASE_URL = emulator.url;
  }
  const { config, logger } = bootstrap('latency');
  const stack = await startStack({ config, logger, apiPort: 0, apiHost: '127.0.0.1', gatewayPort: 0, devServer: { uiPort: 0 } });
  const out = (line = '') => process.stdout.write(line + '\n');
  out(`Latency report: ${PHONES.length} concurrent simulated voice calls x ${ROUNDS} rounds, after one warm-up round that is not counted`);
  out(
    `OpenAI: ${emulator ? `LOCAL EMULATOR (its own process), latency profile "${profile}"` : 'REAL OpenAI API'}; end of phrase = ${config.env.VAD_SILENCE_MS} ms of silence, early reply after ${config.env.VAD_EARLY_SILENCE_MS} ms`,
  );

  const sessions: CallSession[] = [];
  // Round 0 warms up what a running service has warm (JIT, connection pools, workflow caches).
  for (let round = 0; round <= ROUNDS; round++) {
    const ids = await Promise.all(
      PHONES.map(async (phone) => {
        const response = await fetch(`${stack.api.url}/call`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': config.apiAuthKey },
          body: JSON.stringify({ phone }),
        });
        return ((await response.json()) as { call_id: string }).call_id;
      }),
    );
    for (const id of ids) {
      const session = (await stack.client.workflow.getHandle(id).result()) as CallSession;
      if (round > 0) sessions.push(session);
    }
  }
  await stack.stop();
  emulator?.child.kill('SIGTERM');

  const turns: TurnMetrics[] = sessions.flatMap((s) => s.turn_metrics ?? []).filter((t) => t.voice_to_voice_ms !== null);
  const v2v = turns.map((t) => t.voice_to_voice_ms!);
  // Our own overhead: everything in voice-to-voice that is neither provider time nor the endpointing wait.
  const overhead = turns.map((t) => t.voice_to_voice_ms! - (t.endpointing_ms ?? config.env.VAD_SILENCE_MS) - (t.stt_ms ?? 0) - (t.llm_ms ?? 0) - (t.tts_first_byte_ms ?? 0));
  const greeting = sessions.map((s) => s.greeting_ms).filter((g): g is number => typeof g === 'number');
  const stage = (pick: (t: TurnMetrics) => number | null | undefined) => turns.map(pick).filter((v): v is number => typeof v === 'number');

  if (process.argv.includes('--turns')) {
    out('call | turn | v2v | endpointing | stt | llm | tts');
    for (const s of sessions) out(`${s.id.slice(0, 8)} ${s.end_reason}: ${s.transcript.map((t) => `${t.speaker === 'user' ? 'A' : 'O'}${t.interrupted ? '(cut)' : ''}: ${t.text}`).join(' / ')}`);
    for (const s of sessions) for (const t of s.turn_metrics ?? []) out(`${s.id.slice(0, 8)} | ${t.turn} | ${t.voice_to_voice_ms} | ${t.endpointing_ms} | ${t.stt_ms} | ${t.llm_ms} | ${t.tts_first_byte_ms}`);
  }
  out();
  out(`${sessions.length} calls, ${turns.length} turns measured`);
  out('| measure | p50 ms | p95 ms | target (p95) | result |');
  out('|---|---|---|---|---|');
  const row = (name: string, values: number[], target?: number) => {
    const p95 = percentile(values, 95);
    const verdict = target === undefined ? '' : p95 <= target ? 'met' : `MISSED by ${Math.round(p95 - target)} ms`;
    out(`| ${name} | ${Math.round(percentile(values, 50))} | ${Math.round(p95)} | ${target === undefined ? '' : `<= ${target}`} | ${verdict} |`);
  };
  row('voice-to-voice (incl. endpointing)', v2v, 1500);
  row('own overhead', overhead, 60);
  row('greeting after answer', greeting, 300);
  row('endpointing wait', stage((t) => t.endpointing_ms));
  row('STT', stage((t) => t.stt_ms));
  row('LLM (to first sentence)', stage((t) => t.llm_ms));
  row('TTS first byte', stage((t) => t.tts_first_byte_ms));
}

main().catch((err: unknown) => {
  process.stderr.write(`latency report failed: ${String(err)}\n`);
  process.exit(1);
});
