import { Worker } from 'node:worker_threads';

/**
 * Runs Silero ONNX inference on a worker thread. Two reasons: onnxruntime-node's run() is synchronous on the
 * calling thread (it would steal time from frame pacing on the event loop), and its tensors fail realm checks
 * inside Jest's sandbox. The worker is stateless: each request carries the stream's LSTM state and gets the
 * new state back, so any number of streams share one worker and one session.
 */
export interface SileroRunner {
  run(input: Float32Array, state: Float32Array, sampleRate: number): Promise<{ probability: number; state: Float32Array }>;
  close(): Promise<void>;
}

// Plain JS (eval'd): works the same from compiled dist/ and from TypeScript sources under Jest.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
const srTensors = {};
ort.InferenceSession.create(workerData.modelPath, workerData.sessionOptions).then((session) => {
  const [probName, stateName] = session.outputNames;
  parentPort.on('message', async (m) => {
    try {
      const sr = srTensors[m.sampleRate] ??= new ort.Tensor('int64', BigInt64Array.from([BigInt(m.sampleRate)]));
      const out = await session.run({
        input: new ort.Tensor('float32', m.input, [1, m.input.length]),
        state: new ort.Tensor('float32', m.state, [2, 1, 128]),
        sr,
      });
      const state = Float32Array.from(out[stateName].data);
      parentPort.postMessage({ id: m.id, probability: out[probName].data[0], state }, [state.buffer]);
    } catch (err) {
      parentPort.postMessage({ id: m.id, error: String((err && err.message) || err) });
    }
  });
  parentPort.postMessage({ ready: true });
}, (err) => parentPort.postMessage({ loadError: String((err && err.message) || err) }));
`;

type WorkerReply =
  | { ready: true }
  | { loadError: string }
  | { id: number; probability: number; state: Float32Array }
  | { id: number; error: string };

interface Pending {
  resolve(v: { probability: number; state: Float32Array }): void;
  reject(e: Error): void;
}

export async function startSileroWorker(modelPath: string, threads: number): Promise<SileroRunner> {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      ortPath: require.resolve('onnxruntime-node'),
      modelPath,
      // A tiny model per 32 ms window: intra-op threads only add hand-off cost.
      sessionOptions: { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all', logSeverityLevel: 3 },
    },
  });
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let failure: Error | undefined;
  // Keep the process alive only while answers are awaited.
  worker.unref();
  const settle = (id: number) => {
    const p = pending.get(id);
    pending.delete(id);
    if (pending.size === 0) worker.unref();
    return p;
  };
  const failAll = (err: Error) => {
    failure = err;
    for (const id of [...pending.keys()]) settle(id)?.reject(err);
  };

  await new Promise<void>((resolve, reject) => {
    worker.on('message', (msg: WorkerReply) => {
      if ('ready' in msg) resolve();
      else if ('loadError' in msg) reject(new Error(`Silero VAD model failed to load: ${msg.loadError}`));
      else if ('error' in msg) settle(msg.id)?.reject(new Error(`Silero VAD inference failed: ${msg.error}`));
      else settle(msg.id)?.resolve({ probability: msg.probability, state: msg.state });
    });
    worker.on('error', (err) => {
      reject(err);
      failAll(err);
    });
    worker.on('exit', (code) => failAll(new Error(`Silero VAD worker exited (code ${code})`)));
  }).catch(async (err: unknown) => {
    await worker.terminate();
    throw err;
  });

  return {
    run(input, state, sampleRate) {
      if (failure) return Promise.reject(failure);
      const id = nextId++;
      if (pending.size === 0) worker.ref();
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, input, state, sampleRate });
      });
    },
    async close() {
      await worker.terminate();
    },
  };
}
