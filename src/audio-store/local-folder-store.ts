import { mkdir, readFile, rm, writeFile, rename } from 'node:fs/promises';
import path from 'node:path';
import type { AudioRef, AudioStore } from './audio-store';

const SAFE_KEY = /^[0-9a-f-]{36}\/[A-Za-z0-9_.-]{1,100}\.wav$/;

/** Audio in a local folder (default `.data/audio`); keys are `<call_id>/<name>.wav`. */
export class LocalFolderAudioStore implements AudioStore {
  readonly kind = 'local-folder';
  constructor(private readonly root: string) {}

  async put(key: string, wav: Buffer, durationMs: number): Promise<AudioRef> {
    const file = this.fileFor(key);
    await mkdir(path.dirname(file), { recursive: true });
    // Write then rename: a reader never sees half a file.
    await writeFile(`${file}.tmp`, wav);
    await rename(`${file}.tmp`, file);
    return { key, durationMs, bytes: wav.length };
  }

  async get(key: string): Promise<Buffer> {
    return readFile(this.fileFor(key));
  }

  async deleteCall(callId: string): Promise<void> {
    if (!/^[0-9a-f-]{36}$/.test(callId)) throw new Error(`not a call id: ${callId}`);
    await rm(path.join(this.root, callId), { recursive: true, force: true });
  }

  private fileFor(key: string): string {
    // Keys come from our own code, but a bad one must never escape the folder.
    if (!SAFE_KEY.test(key)) throw new Error(`invalid audio key: ${key}`);
    return path.join(this.root, key);
  }
}
