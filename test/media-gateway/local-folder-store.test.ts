import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LocalFolderAudioStore } from '../../src/audio-store/local-folder-store';

const CALL = '2f1e0c55-1b0a-4c3e-9a57-5d0c2b9a1e11';

test('stores and returns an utterance by reference; deletes a call; refuses keys outside its folder', async () => {
  const store = new LocalFolderAudioStore(mkdtempSync(path.join(tmpdir(), 'audio-')));
  const wav = Buffer.from('RIFF....WAVEfmt fake');
  const ref = await store.put(`${CALL}/utt-1.wav`, wav, 1234);
  expect(ref).toEqual({ key: `${CALL}/utt-1.wav`, durationMs: 1234, bytes: wav.length });
  expect(await store.get(ref.key)).toEqual(wav);
  await expect(store.get(`../../etc/passwd`)).rejects.toThrow('invalid audio key');
  await expect(store.put(`${CALL}/../../x.wav`, wav, 1)).rejects.toThrow('invalid audio key');
  await store.deleteCall(CALL);
  await expect(store.get(ref.key)).rejects.toThrow();
});
