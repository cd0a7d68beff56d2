import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { CALL_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { EnvSchema } from '../../src/config/env';

const root = path.resolve(__dirname, '../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');
const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };

/** `npm run x` / `npm start` names a script that exists, and `node dist/a.js` a source file that builds to it. */
function expectRunnable(command: string): void {
  for (const match of command.matchAll(/npm (?:run )?([\w:-]+)/g)) {
    const script = match[1] === 'ci' || match[1] === 'install' ? null : match[1]!;
    if (script) expect(Object.keys(pkg.scripts)).toContain(script);
  }
  for (const match of command.matchAll(/node (dist\/[\w/.-]+)\.js/g)) {
    expect(existsSync(path.join(root, match[1]!.replace(/^dist\//, '') + '.ts'))).toBe(true);
  }
}

test('every package.json script that starts a process points at real code', () => {
  for (const script of ['start', 'start:api', 'start:worker', 'start:gateway', 'test', 'build', 'demo']) {
    expect(pkg.scripts[script]).toBeDefined();
    expectRunnable(pkg.scripts[script]!);
  }
});

test('docker-compose.yml: Temporal on PostgreSQL, the UI, search attributes, api and worker on real scripts', () => {
  const compose = parse(read('docker-compose.yml')) as { services: Record<string, { image?: string; build?: string; command?: string[] | string; environment?: Record<string, string> }> };
  const services = compose.services;
  expect(services.postgresql?.image).toMatch(/^postgres:/);
  expect(services.temporal?.image).toMatch(/^temporalio\//);
  expect(services['temporal-ui']?.image).toMatch(/^temporalio\/ui/);
  const registration = JSON.stringify(services['temporal-search-attributes']?.command);
  for (const name of Object.keys(CALL_SEARCH_ATTRIBUTES)) expect(registration).toContain(`--name ${name} --type Keyword`);
  for (const name of ['api', 'worker', 'gateway']) {
    const service = services[name]!;
    expect(service.build).toBe('.');
    expectRunnable([service.command].flat().join(' '));
    expect(service.environment?.TEMPORAL_ADDRESS).toBe('temporal:7233');
  }
  expect(existsSync(path.join(root, 'Dockerfile'))).toBe(true);
  expectRunnable(read('Dockerfile').match(/CMD \[(.*)\]/)![1]!.replace(/[",]/g, ' '));
});

test('render.yaml: API web service with a health check, background worker, Temporal address from the environment', () => {
  const blueprint = parse(read('render.yaml')) as {
    services: { type: string; buildCommand: string; startCommand: string; healthCheckPath?: string; envVars: { fromGroup?: string }[] }[];
    envVarGroups: { name: string; envVars: { key: string; sync?: boolean }[] }[];
  };
  const web = blueprint.services.find((s) => s.type === 'web' && s.startCommand.includes('start:api'))!;
  const gateway = blueprint.services.find((s) => s.startCommand.includes('start:gateway'))!;
  expect(gateway.healthCheckPath).toBe('/healthz');
  const worker = blueprint.services.find((s) => s.type === 'worker')!;
  expect(web.healthCheckPath).toBe('/healthz');
  for (const service of [web, gateway, worker]) {
    expectRunnable(service.buildCommand);
    expectRunnable(service.startCommand);
  }
  expect(web.startCommand).toContain('start:api');
  expect(worker.startCommand).toContain('start:worker');
  const shared = blueprint.envVarGroups[0]!.envVars;
  expect(shared.find((v) => v.key === 'TEMPORAL_ADDRESS')?.sync).toBe(false);
  // Every variable the blueprint sets is one the service knows.
  const known = Object.keys(EnvSchema.shape ?? {});
  for (const { key } of shared) if (key !== 'NODE_VERSION') expect(known).toContain(key);
});

test('.env.example documents every variable of the schema', () => {
  const example = read('.env.example');
  for (const key of Object.keys(EnvSchema.shape ?? {})) expect(example).toMatch(new RegExp(`^#? ?${key}=`, 'm'));
});
