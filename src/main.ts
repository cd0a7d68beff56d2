import { bootstrap, onShutdown } from './process/bootstrap';
import { DEFAULT_DEV_DB_FILE, startStack } from './stack';

/**
 * `npm start`: the whole service in one process on embedded defaults. Without TEMPORAL_ADDRESS it
 * runs a Temporal dev server (Web UI on :8233, history kept in .data/temporal-dev.db); without
 * OPENAI_API_KEY the local OpenAI emulator; without Google Sheets settings the local CSV file.
 */
async function main() {
  const { config, logger } = bootstrap('voice-caller');
  const stack = await startStack({
    config,
    logger,
    devServer: { port: 7233, uiPort: config.env.TEMPORAL_UI_PORT, dbFile: DEFAULT_DEV_DB_FILE() },
  });
  onShutdown(logger, () => stack.stop());
  const sheets = stack.results.kind === 'csv' ? `local CSV file ${config.env.RESULTS_CSV_PATH} (Google Sheets not configured)` : 'Google Sheets';
  const lines = [
    '',
    `Voice caller is running (telephony: ${config.env.TELEPHONY_PROVIDER}${config.env.TELEPHONY_PROVIDER.startsWith('simulated') ? ' - SIMULATED, nothing is dialed' : ''})`,
    `  API:            ${stack.api.url}  (OpenAPI: ${stack.api.url}/openapi.json)`,
    `  Temporal:       ${stack.temporalAddress}${stack.devServer ? ' (embedded dev server)' : ''}`,
    stack.devServer?.uiUrl ? `  Temporal UI:    ${stack.devServer.uiUrl}/namespaces/${config.env.TEMPORAL_NAMESPACE}/workflows` : '',
    `  OpenAI:         ${stack.openai.emulator ? `LOCAL EMULATOR at ${stack.openai.emulator.url} (set OPENAI_API_KEY for the real API)` : 'api.openai.com'}`,
    `  Results:        ${sheets}`,
    '',
    '  Place a call:',
    `    curl -s -X POST ${stack.api.url}/call -H 'Content-Type: application/json' -H 'X-API-Key: ${config.usingDevSecrets && !config.env.API_AUTH_KEY ? config.apiAuthKey : '$API_AUTH_KEY'}' -d '{"phone": "+79990000001"}'`,
    '',
  ];
  process.stdout.write(lines.filter((line, i) => line !== '' || i === 0 || i === lines.length - 1 || lines[i - 1] !== '').join('\n') + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`${JSON.stringify({ level: 'fatal', msg: 'failed to start', err: String(err) })}\n`);
  process.exit(1);
});
