import type { Server } from 'node:http';
import type { Client } from '@temporalio/client';
import { loadCallScript } from '../dialog/call-script';
import type { AppConfig } from '../config/env';
import type { Logger } from '../logging/logger';
import { createApiApp } from './app';

export interface RunningApi {
  server: Server;
  url: string;
  close(): Promise<void>;
}

export async function startApiServer(deps: { config: AppConfig; logger: Logger; client: Client; port?: number; host?: string }): Promise<RunningApi> {
  const app = createApiApp({ ...deps, script: loadCallScript() });
  const host = deps.host ?? deps.config.env.API_HOST;
  const server = app.listen(deps.port ?? deps.config.env.API_PORT, host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : deps.config.env.API_PORT;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  deps.logger.info({ url }, 'api listening');
  return {
    server,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
