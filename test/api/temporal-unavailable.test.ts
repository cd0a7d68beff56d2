import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { createApiApp } from '../../src/api/app';
import { loadConfig } from '../../src/config/env';
import { loadCallScript } from '../../src/dialog/call-script';
import { createLogger } from '../../src/logging/logger';
import { freePort } from '../../src/temporal/dev-server';

let server: Server;
let url: string;
let connection: Connection;
const logLines: string[] = [];

beforeAll(async () => {
  // A Temporal address where nothing listens.
  connection = Connection.lazy({ address: `127.0.0.1:${await freePort()}`, connectTimeout: 500 });
  const config = loadConfig({ API_AUTH_KEY: 'test-api-key-0123456789' });
  const logger = createLogger({ destination: { write: (line: string) => void logLines.push(line) } });
  const app = createApiApp({ config, logger, client: new Client({ connection }), script: loadCallScript() });
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  server.close();
  await connection.close().catch(() => undefined);
});

test('with Temporal unreachable, POST /call answers 503 temporal_unavailable (no stack trace) and readyz is 503', async () => {
  const response = await fetch(`${url}/call`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'test-api-key-0123456789' },
    body: JSON.stringify({ phone: '+79990000001' }),
  });
  expect(response.status).toBe(503);
  expect(response.headers.get('retry-after')).toBe('5');
  const body: unknown = await response.json();
  expect(body).toEqual({ error: { code: 'temporal_unavailable', message: expect.any(String) } });
  expect(JSON.stringify(body)).not.toMatch(/\s+at\s/);

  const ready = await fetch(`${url}/readyz`);
  expect(ready.status).toBe(503);
  expect(((await ready.json()) as { error: { code: string } }).error.code).toBe('not_ready');
  expect((await fetch(`${url}/healthz`)).status).toBe(200);
}, 30_000);
