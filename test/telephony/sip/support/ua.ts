import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../../../../src/logging/logger';
import { SipUserAgent, type SipUserAgentOptions } from '../../../../src/telephony/sip';
import { PEER_ADDRESS, UA_ADDRESS } from './peers';

export const SIP_USER = 'bot';
export const SIP_PASSWORD = 's3cret-pass';

/** SIP_TEST_LOG=debug shows every SIP message. */
export const testLogger = createLogger({ level: process.env.SIP_TEST_LOG ?? 'silent', name: 'sip-test' });

/** Our user agent on 127.0.0.2 pointed at a peer on 127.0.0.1. */
export async function startUserAgent(overrides: Partial<SipUserAgentOptions> & Pick<SipUserAgentOptions, 'server'>): Promise<SipUserAgent> {
  const ua = new SipUserAgent({
    localAddress: UA_ADDRESS,
    localPort: 0,
    domain: PEER_ADDRESS,
    username: SIP_USER,
    password: SIP_PASSWORD,
    register: false,
    registerExpiresSec: 60,
    rtpPortRange: { min: 30_000, max: 39_999 },
    codecs: ['PCMU', 'PCMA'],
    logger: testLogger,
    ...overrides,
  });
  await ua.start();
  return ua;
}

const tempDirs: string[] = [];

/** A scratch folder for peer configs, logs and recordings; removed by removeTempDirs() unless SIP_TEST_KEEP=1. */
export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `sip-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  const dirs = tempDirs.splice(0);
  if (process.env.SIP_TEST_KEEP === '1') return;
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
}

/** Polls `condition` every 20 ms; rejects with `what` after `timeoutMs` (a guard, not a speed assertion). */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
