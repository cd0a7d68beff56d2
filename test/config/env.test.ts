import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig, ttsModelOf } from '../../src/config/env';

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

test('embedded defaults: spec limits, simulated telephony, CSV results, dev secrets flagged', () => {
  const config = loadConfig({});
  expect(config.env).toMatchObject({
    CALL_MAX_DURATION_SEC: 120,
    CALL_MAX_TURNS: 12,
    MAX_CONCURRENT_CALLS: 3,
    TELEPHONY_PROVIDER: 'simulated',
    OPENAI_TEMPERATURE: 0.7,
    TEMPORAL_NAMESPACE: 'default',
    // OpenAI's current generation (issue 10): none of these is deprecated by the installed SDK.
    OPENAI_CHAT_MODEL: 'gpt-6-luna',
    OPENAI_CLASSIFIER_MODEL: 'gpt-6-luna',
    OPENAI_REASONING_EFFORT: 'none',
    OPENAI_STT_MODEL: 'gpt-transcribe',
    OPENAI_STT_API: 'transcriptions',
    OPENAI_STT_REALTIME_MODEL: 'gpt-live-transcribe',
    OPENAI_TTS_API: 'realtime',
    OPENAI_REALTIME_MODEL: 'gpt-realtime-2.1-mini',
    DIALOG_MODE: 'cascade',
  });
  expect(ttsModelOf(config.env)).toBe('gpt-realtime-2.1-mini');
  expect(ttsModelOf({ OPENAI_TTS_API: 'speech', OPENAI_TTS_MODEL: undefined })).toBe('gpt-4o-mini-tts');
  expect(config.googleServiceAccount).toBeUndefined();
  expect(config.usingDevSecrets).toBe(true);
});

test('every bad variable is named in one error', () => {
  const problems = problemsOf({
    API_PORT: 'eighty',
    CALL_MAX_DURATION_SEC: '-1',
    OPENAI_BASE_URL: 'not a url',
    TELEPHONY_PROVIDER: 'carrier-pigeon',
    TELEPHONY_CONFIG: '{oops',
  });
  for (const name of ['API_PORT', 'CALL_MAX_DURATION_SEC', 'OPENAI_BASE_URL', 'TELEPHONY_PROVIDER', 'TELEPHONY_CONFIG']) {
    expect(problems.some((p) => p.startsWith(name))).toBe(true);
  }
});

test('production requires the secrets, the OpenAI key and a Temporal address', () => {
  const problems = problemsOf({ NODE_ENV: 'production' });
  expect(problems.map((p) => p.split(' ')[0])).toEqual(
    expect.arrayContaining(['API_AUTH_KEY', 'TELEPHONY_WEBHOOK_SECRET', 'OPENAI_API_KEY', 'TEMPORAL_ADDRESS']),
  );
});

test('Google Sheets needs a service account key, from JSON or from a file', () => {
  expect(problemsOf({ GOOGLE_SHEETS_SPREADSHEET_ID: 'sheet-1' })[0]).toMatch(/GOOGLE_CREDENTIALS_JSON or GOOGLE_CREDENTIALS_FILE/);
  expect(problemsOf({ GOOGLE_SHEETS_SPREADSHEET_ID: 'sheet-1', GOOGLE_CREDENTIALS_JSON: '{"client_email":"a@b"}' })[0]).toMatch(
    /not a service account key/,
  );
  const key = { client_email: 'bot@project.iam.gserviceaccount.com', private_key: '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n' };
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'cfg-')), 'key.json');
  writeFileSync(file, JSON.stringify(key));
  const config = loadConfig({ GOOGLE_SHEETS_SPREADSHEET_ID: 'sheet-1', GOOGLE_CREDENTIALS_FILE: file });
  expect(config.googleServiceAccount?.client_email).toBe(key.client_email);
  expect(config.secrets).toContain(key.private_key);
  expect(problemsOf({ GOOGLE_SHEETS_SPREADSHEET_ID: 'sheet-1', GOOGLE_CREDENTIALS_FILE: '/nonexistent.json' })[0]).toMatch(/cannot be read/);
});

test('short secrets are refused', () => {
  expect(problemsOf({ API_AUTH_KEY: 'abc' })[0]).toMatch(/^API_AUTH_KEY must be at least 8/);
});

test('simulated telephony settings are checked at startup', () => {
  expect(problemsOf({ TELEPHONY_CONFIG: '{"numbers":{"+79990000001":"explodes"}}' })[0]).toMatch(/^TELEPHONY_CONFIG\.numbers/);
});
