import path from 'node:path';
import type { CallSession, TurnMetrics } from '../domain/call-session';
import { bootstrap } from '../process/bootstrap';
import { startStack } from '../stack';
import { projectRoot } from '../util/project-root';

/**
 * `npm run latency`: three concurrent simulated voice calls (two rounds) through the whole stack
 * with the OpenAI emulator imitating provider latency (profile `typical` unless
 * OPENAI_EMULATOR_LATENCY says otherwise), then the issue's targets against what was measured.
 * It prints figures; it asserts nothing.
 */
const PHONES = ['+79990000001', '+79990000005', '+79990000006'];
const ROUNDS = 2;

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function main() {
  process.env.LOG_LEVEL ??= 'warn';
  process.env.OPENAI_EMULATOR_LATENCY ??= 'typical';
  process.env.TELEPHONY_PROVIDER ??= 'simulated';
  process.env.RESULTS_CSV_PATH ??= path.join(projectRoot(), '.data/latency-results.csv');
  const { config, logger } = bootstrap('latency');
  const stack = await startStack({ config, logger, apiPort: 0, apiHost: '127.0.0.1', gatewayPort: 0, devServer: { uiPort: 0 } });
  const out = (line = '') => process.stdout.write(line + '\n');
  out(`Latency report: ${PHONES.length} concurrent simulated voice calls x ${ROUNDS} rounds`);
  out(
    `OpenAI: ${stack.openai.emulator ? `LOCAL EMULATOR, latency profile "${config.env.OPENAI_EMULATOR_LATENCY}"` : 'REAL OpenAI API'}; end of phrase = ${config.env.VAD_SILENCE_MS} ms of silence`,
  );

  const sessions: CallSession[] = [];
  for (let round = 0; round < ROUNDS; round++) {
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
    for (const id of ids) sessions.push((await stack.client.workflow.getHandle(id).result()) as CallSession);
  }
  await stack.stop();

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
