/**
 * Real SIP peers for the tests: SIPp (Debian sip-tester) and baresip (baresip-core), started as
 * child processes on 127.0.0.1 while our user agent runs on 127.0.0.2, with ports found free per
 * test so parallel runs do not collide.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';

export const SIPP = '/usr/bin/sipp';
export const BARESIP = '/usr/bin/baresip';
export const PEER_ADDRESS = '127.0.0.1';
export const UA_ADDRESS = '127.0.0.2';
export const SCENARIOS = path.join(__dirname, '..', 'scenarios');

export function requireProgram(program: string): void {
  if (!existsSync(program)) {
    throw new Error(
      `${program} is missing: the SIP tests need the Debian packages sip-tester and baresip-core. ` +
        'Run `bash scripts/ensure-system-deps.sh` (as root), or `apt-get install -y sip-tester baresip-core`.',
    );
  }
}

async function canBindUdp(address: string, port: number): Promise<boolean> {
  const socket = dgram.createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, address, () => resolve());
    });
    return true;
  } catch {
    return false;
  } finally {
    try {
      socket.close();
    } catch {
      // never bound
    }
  }
}

/**
 * A free UDP port on `address` (even, with `span` following ports free too: SIPp's media port
 * uses +2 for video echo). Random in 20000-59999 so concurrent test files rarely race for one.
 */
export async function freeUdpPort(address: string, span = 1): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + 2 * Math.floor(Math.random() * 19_995);
    let free = true;
    for (let i = 0; i < span && free; i++) free = await canBindUdp(address, port + i);
    if (free) return port;
  }
  throw new Error(`no free UDP port on ${address}`);
}

export async function freeTcpPort(address: string): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, address, () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Waits until a peer has bound the UDP port (binding it ourselves fails then), unless it exited. */
export async function waitForUdpBound(address: string, port: number, child?: ChildProcess, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await canBindUdp(address, port))) return;
    if (child && (child.exitCode !== null || child.signalCode !== null)) throw new Error(`the peer exited before binding ${address}:${port}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`nothing bound ${address}:${port} within ${timeoutMs} ms`);
}

export interface PeerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

export interface PeerProcess {
  child: ChildProcess;
  exit: Promise<PeerExit>;
  /** Output so far (stdout + stderr). */
  output(): string;
  /** Stops the process by its PID (SIGTERM, then SIGKILL after 2 s). */
  stop(): Promise<PeerExit>;
}

function runPeer(program: string, args: string[], cwd: string): PeerProcess {
  const child = spawn(program, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exit = new Promise<PeerExit>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal, output }));
    child.on('error', (err) => resolve({ code: -1, signal: null, output: `${output}\n${String(err)}` }));
  });
  return {
    child,
    exit,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
        const result = await exit;
        clearTimeout(timer);
        return result;
      }
      return exit;
    },
  };
}

export interface SippOptions {
  scenario: string;
  workDir: string;
  /** `-key name value` pairs (scenario keywords such as [audio]). */
  keys?: Record<string, string>;
  /** Echo RTP received on the media port back to its sender. */
  rtpEcho?: boolean;
  /** SIPp gives up (and fails) after this long. */
  timeoutSec?: number;
}

export interface Sipp extends PeerProcess {
  port: number;
  mediaPort: number;
}

/** One SIPp UAS run (`-m 1`: exits after one call; 0 = the scenario completed). */
export async function startSipp(options: SippOptions): Promise<Sipp> {
  requireProgram(SIPP);
  await mkdir(options.workDir, { recursive: true });
  // A port found free may be taken by someone else before SIPp binds it: try fresh ports then.
  for (let attempt = 1; ; attempt++) {
    try {
      return await launchSipp(options);
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}

async function launchSipp(options: SippOptions): Promise<Sipp> {
  const port = await freeUdpPort(PEER_ADDRESS);
  const mediaPort = await freeUdpPort(PEER_ADDRESS, 4);
  const name = path.basename(options.scenario, '.xml');
  const args = [
    '-sf', path.join(SCENARIOS, options.scenario),
    '-i', PEER_ADDRESS, '-p', String(port),
    '-mi', PEER_ADDRESS, '-mp', String(mediaPort),
    '-m', '1', '-nostdin',
    '-timeout', `${options.timeoutSec ?? 15}s`, '-timeout_error',
    '-trace_msg', '-message_file', path.join(options.workDir, `${name}-messages.log`),
    '-trace_err', '-error_file', path.join(options.workDir, `${name}-errors.log`),
  ];
  if (options.rtpEcho) args.push('-rtp_echo');
  for (const [key, value] of Object.entries(options.keys ?? {})) args.push('-key', key, value);
  const peer = runPeer(SIPP, args, options.workDir);
  await waitForUdpBound(PEER_ADDRESS, port, peer.child).catch(async (err: unknown) => {
    const result = await peer.stop();
    throw new Error(`${String(err)}; sipp output:\n${result.output}`);
  });
  return { ...peer, port, mediaPort };
}

export interface BaresipOptions {
  workDir: string;
  /** 8 kHz mono PCM16 WAV that baresip plays into the call. */
  sourceWav: string;
  codecs: string;
}

export interface Baresip extends PeerProcess {
  sipPort: number;
  /** Resolves with the next ctrl_tcp event of this type (CALL_ESTABLISHED, CALL_CLOSED...). */
  nextEvent(type: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  close(): void;
}

/** baresip 1.0.0 as an auto-answering callee that records what it hears (sndfile: dump-*-dec.wav). */
export async function startBaresip(options: BaresipOptions): Promise<Baresip> {
  requireProgram(BARESIP);
  await mkdir(options.workDir, { recursive: true });
  const sipPort = await freeUdpPort(PEER_ADDRESS);
  const ctrlPort = await freeTcpPort(PEER_ADDRESS);
  const rtpBase = await freeUdpPort(PEER_ADDRESS, 8);
  const config = [
    `sip_listen ${PEER_ADDRESS}:${sipPort}`,
    `audio_source aufile,${options.sourceWav}`,
    'audio_srate 8000',
    'audio_channels 1',
    `rtp_ports ${rtpBase}-${rtpBase + 7}`,
    'module_path /usr/lib/baresip/modules',
    'module g711.so',
    'module aufile.so',
    'module sndfile.so',
    'module_app account.so',
    'module_app ctrl_tcp.so',
    `ctrl_tcp_listen ${PEER_ADDRESS}:${ctrlPort}`,
    `snd_path ${options.workDir}`,
    '',
  ].join('\n');
  await writeFile(path.join(options.workDir, 'config'), config);
  await writeFile(
    path.join(options.workDir, 'accounts'),
    `<sip:bot@${PEER_ADDRESS}:${sipPort}>;regint=0;answermode=auto;audio_codecs=${options.codecs}\n`,
  );
  const peer = runPeer(BARESIP, ['-f', options.workDir, '-n', PEER_ADDRESS], options.workDir);

  // ctrl_tcp speaks netstrings (`<len>:<json>,`); connect once it listens.
  const events: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  let socket: net.Socket | undefined;
  const deadline = Date.now() + 5000;
  while (!socket) {
    try {
      socket = await new Promise<net.Socket>((resolve, reject) => {
        const s = net.connect(ctrlPort, PEER_ADDRESS, () => resolve(s));
        s.once('error', reject);
      });
    } catch (err) {
      if (Date.now() > deadline || peer.child.exitCode !== null) {
        const result = await peer.stop();
        throw new Error(`baresip ctrl_tcp not reachable (${String(err)}); output:\n${result.output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  let buffered = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (;;) {
      const colon = buffered.indexOf(':');
      if (colon < 0) break;
      const length = Number(buffered.subarray(0, colon).toString('ascii'));
      if (buffered.length < colon + 1 + length + 1) break;
      const json = buffered.subarray(colon + 1, colon + 1 + length).toString('utf8');
      buffered = buffered.subarray(colon + 1 + length + 1);
      try {
        events.push(JSON.parse(json) as Record<string, unknown>);
      } catch {
        // not JSON: ignore
      }
      for (const wake of waiters.splice(0)) wake();
    }
  });
  socket.on('error', () => {});
  await waitForUdpBound(PEER_ADDRESS, sipPort, peer.child);

  const nextEvent = async (type: string, timeoutMs = 10_000): Promise<Record<string, unknown>> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const index = events.findIndex((e) => e.type === type);
      if (index >= 0) return events.splice(index, 1)[0] as Record<string, unknown>;
      const left = until - Date.now();
      if (left <= 0) throw new Error(`no baresip ${type} event within ${timeoutMs} ms; got ${JSON.stringify(events.map((e) => e.type))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  };
  return { ...peer, sipPort, nextEvent, close: () => socket?.destroy() };
}
