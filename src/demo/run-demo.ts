import path from 'node:path';
import { mkdirSync } from 'node:fs';
import type { CallSession } from '../domain/call-session';
import { bootstrap } from '../process/bootstrap';
import { startStack } from '../stack';
import { projectRoot } from '../util/project-root';

/** Simulated callees by number (see TELEPHONY_CONFIG / src/telephony/simulated/callee-behaviours.ts). */
const DEMO_CALLS = [
  { phone: '+79990000001', persona: 'interested' },
  { phone: '+79990000005', persona: 'not interested' },
  { phone: '+79990000006', persona: 'call back later' },
  { phone: '89990000002', persona: 'busy' },
  { phone: '+79990000012', persona: 'talks over the operator (barge-in)' },
  { phone: '+79990000013', persona: 'pauses mid-phrase (the early reply is withdrawn)' },
];

/**
 * `npm run demo`: the whole service on embedded defaults places a few simulated calls through the
 * real HTTP API, waits for them, prints each call's outcome and transcript, and exits
 * (`-- --keep` keeps it running to look at the calls in the Temporal Web UI).
 */
async function main() {
  process.env.LOG_LEVEL ??= 'warn';
  // The demo dials fixed test numbers: never through a real provider.
  if (process.env.TELEPHONY_PROVIDER && !process.env.TELEPHONY_PROVIDER.startsWith('simulated')) {
    process.stdout.write(`TELEPHONY_PROVIDER=${process.env.TELEPHONY_PROVIDER} ignored: the demo runs on simulated telephony only.\n`);
    process.env.TELEPHONY_PROVIDER = 'simulated';
    delete process.env.TELEPHONY_CONFIG;
  }
  process.env.RESULTS_CSV_PATH ??= path.join(projectRoot(), '.data/demo-results.csv');
  mkdirSync(path.join(projectRoot(), '.data'), { recursive: true });
  const { config, logger } = bootstrap('demo');
  const keep = process.argv.includes('--keep');
  const stack = await startStack({ config, logger, apiPort: 0, apiHost: '127.0.0.1', devServer: { uiPort: keep ? config.env.TEMPORAL_UI_PORT : 0 } });
  const out = (line = '') => process.stdout.write(line + '\n');
  out('=== Voice caller demo ===');
  out(
    `Telephony: ${
      config.env.TELEPHONY_PROVIDER === 'simulated'
        ? 'SIMULATED virtual callees speaking eSpeak NG Russian over the media gateway (mu-law 8 kHz WebSocket; nothing is dialed)'
        : config.env.TELEPHONY_PROVIDER === 'simulated-text'
          ? 'SIMULATED virtual callees exchanging text (no audio)'
          : config.env.TELEPHONY_PROVIDER
    }`,
  );
  out(
    `OpenAI:    ${
      stack.openai.emulator
        ? 'LOCAL EMULATOR: STT matches the received audio against the callees\' phrase bank, TTS is eSpeak NG, replies and classification are rule-based. Set OPENAI_API_KEY to use OpenAI.'
        : 'OpenAI API'
    }`,
  );
  out(`Temporal:  ${stack.temporalAddress}${stack.devServer ? ' (embedded dev server)' : ''}; at most ${config.env.MAX_CONCURRENT_CALLS} calls at once`);
  out();

  const placed: { callId: string; phone: string; persona: string }[] = [];
  for (const call of DEMO_CALLS) {
    const response = await fetch(`${stack.api.url}/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': config.apiAuthKey },
      body: JSON.stringify({ phone: call.phone }),
    });
    const body = (await response.json()) as { call_id: string };
    out(`POST /call ${call.phone} (${call.persona}) -> ${response.status} ${JSON.stringify(body)}`);
    placed.push({ callId: body.call_id, ...call });
  }
  out();
  for (const call of placed) {
    const session = (await stack.client.workflow.getHandle(call.callId).result()) as CallSession;
    out(`--- ${call.phone} (${call.persona}) call_id=${session.id}`);
    out(`    status=${session.status} disposition=${session.final_disposition} duration=${session.duration_sec}s end=${session.end_reason}`);
    out(`    summary: ${session.short_summary}`);
    if (session.greeting_ms !== undefined && session.greeting_ms !== null) out(`    greeting on the line ${session.greeting_ms} ms after answer`);
    for (const m of session.turn_metrics ?? []) {
      out(
        `    turn ${m.turn}: voice-to-voice ${m.voice_to_voice_ms ?? '-'} ms (incl. ${m.endpointing_ms ?? '-'} ms of end-of-phrase silence; STT ${m.stt_ms ?? '-'} ms, LLM ${m.llm_ms ?? '-'} ms, TTS first byte ${m.tts_first_byte_ms ?? '-'} ms)`,
      );
    }
    for (const turn of session.transcript) {
      out(`    ${turn.speaker === 'assistant' ? 'Оператор' : 'Абонент '}: ${turn.text}${turn.interrupted ? '  [перебит]' : ''}`);
    }
  }
  out();
  out(`Results rows: ${stack.results.kind === 'csv' ? config.env.RESULTS_CSV_PATH : 'Google Sheets'}`);
  if (keep && stack.devServer?.uiUrl) {
    out(`Temporal Web UI: ${stack.devServer.uiUrl}/namespaces/${config.env.TEMPORAL_NAMESPACE}/workflows (Ctrl+C to stop)`);
    return;
  }
  out(`Temporal Web UI: run \`npm run demo -- --keep\` to browse these calls at http://127.0.0.1:${config.env.TEMPORAL_UI_PORT} (the embedded server stops with the demo)`);
  await stack.stop();
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${String(err)}\n`);
  process.exit(1);
});
