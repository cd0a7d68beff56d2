import path from 'node:path';
import type { AppConfig } from '../config/env';
import { projectRoot } from '../util/project-root';
import type { AudioStore } from './audio-store';
import { LocalFolderAudioStore } from './local-folder-store';

export type { AudioRef, AudioStore } from './audio-store';

/** The audio store from configuration (a local folder; an S3-compatible store can replace it). */
export function createAudioStore(config: AppConfig): AudioStore {
  return new LocalFolderAudioStore(path.resolve(projectRoot(), config.env.AUDIO_STORE_DIR));
}
