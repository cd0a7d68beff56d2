import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';

/**
 * The emulator's own TLS identity. OpenAI's SDK always opens the Realtime WebSocket as `wss://`
 * (whatever the baseURL's scheme), so the emulator must speak TLS; a throwaway self-signed
 * certificate for 127.0.0.1 / localhost, made at start, that clients trust explicitly (`ca` option
 * in-process, NODE_EXTRA_CA_CERTS for child processes). Never trusted by anything else.
 */

export interface EmulatorCertificate {
  /** PEM certificate: also the CA a client must trust. */
  cert: string;
  /** PEM private key. */
  key: string;
}

const VALID_DAYS = 3;

/** EC P-256: generated in tens of milliseconds, where RSA 2048 takes a quarter of a second. */
export async function generateEmulatorCertificate(now = new Date()): Promise<EmulatorCertificate> {
  const notBeforeDate = new Date(now.getTime() - 60_000); // small clock skews between processes
  const notAfterDate = new Date(now.getTime() + VALID_DAYS * 24 * 3600_000);
  const pems = await generate([{ name: 'commonName', value: 'openai-emulator.localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/** Writes the certificate to `<fresh temp dir>/openai-emulator-ca.pem`; `remove` deletes the directory. */
export async function writeCaFile(certPem: string): Promise<{ caFile: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'openai-emulator-tls-'));
  const caFile = join(dir, 'openai-emulator-ca.pem');
  await writeFile(caFile, certPem, { mode: 0o644 });
  return { caFile, remove: () => rm(dir, { recursive: true, force: true }) };
}
