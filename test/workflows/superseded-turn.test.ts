import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { CallSession } from '../../src/domain/call-session';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { createLogger } from '../../src/logging/logger';
import { Client, Connection } from '@temporalio/client';
import type { HeardTurn, SpeakResult } from '../../activities/media-activities';
import { calleeUtteranceSignal, mediaAttachedSignal, telephonyEventSignal } from '../../workflows/definitions';
import { startCallWorkflow } from '../support/call-input';
import { eventually } from '../support/test-stack';

// The workflow alone, with stand-in activities that record when each turn starts and ends: the
// callee paused, the turn answering the first part is still running, and the whole phrase arrives.
let dev: DevServer;
let client: Client;
let connection: NativeConnection;
beforeAll(async () => {
  dev = await startDevServer({ logger: createLogger({ level: 'silent' }) });
  client = new Client({ connection: await Connection.connect({ address: dev.address }) });
  connection = await NativeConnection.connect({ address: dev.address });
}, 60_000);
afterAll(async () => {
  await connection?.close();
  await client?.connection.close();
  await dev?.stop();
});

const spoken: SpeakResult = { interrupted: false, playedMs: 800, firstFrameMs: 5, synthesisFirstByteMs: 5, voiceToVoiceMs: null, greetingMs: 10, endpointingMs: null, superseded: false, spokenText: 'Хорошо, всего доброго!' };

test('the whole phrase gets its turn at once; the turn answering its first part is dropped without being waited for', async () => {
  const taskQueue = `superseded-${randomUUID()}`;
  const log: string[] = [];
  let releaseProvisional = () => {};
  const provisionalHeld = new Promise<void>((resolve) => (releaseProvisional = resolve));
  // Without the fix the whole phrase waits for this: the order below then fails instead of hanging.
  const release = setTimeout(() => releaseProvisional(), 10_000);
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowsPath: require.resolve('../../workflows'),
    activities: {
      initiateCall: async () => ({}),
      hangUpCall: async () => undefined,
      speakLine: async () => spoken,
      // The line stays up until the workflow stops watching it.
      watchMediaLeg: async () => {
        const ctx = Context.current();
        const beat = setInterval(() => ctx.heartbeat(), 200);
        await ctx.cancelled.catch(() => undefined);
        clearInterval(beat);
        return { stopped: false, reason: 'dialog ended' };
      },
      classifyCallOutcome: async () => ({ final_disposition: 'interested', short_summary: 'Интересно.' }),
      writeCallResult: async () => undefined,
      writeCallResultFallback: async () => undefined,
      hearAndReply: async ({ utteranceIds }: { utteranceIds: string[] }): Promise<HeardTurn> => {
        const id = utteranceIds.join('+');
        log.push(`start ${id}`);
        if (id === 'utt-001') {
          await provisionalHeld; // the model is slow over the first part
          log.push(`end ${id}`);
          return { heard: 'Ну, даже не знаю', heardAt: new Date().toISOString(), sttMs: 1, reply: null, superseded: true, dispatchMs: 1, scheduleToStartMs: 1 };
        }
        log.push(`end ${id}`);
        const reply = { text: 'Хорошо, всего доброго!', isGoodbye: true, interrupted: false, llmMs: 1, firstSentence: { ...spoken, voiceToVoiceMs: 900, greetingMs: null }, readBackMismatches: [] };
        return { heard: 'Ну, даже не знаю, пожалуй, расскажите.', heardAt: new Date().toISOString(), sttMs: 1, reply, superseded: false, dispatchMs: 1, scheduleToStartMs: 1 };
      },
    },
  });
  await worker.runUntil(async () => {
    const callId = await startCallWorkflow(client, taskQueue, '+79990000013', {}, 'voice');
    const handle = client.workflow.getHandle(callId);
    const event = (name: 'ringing' | 'answered', n: number) => ({ call_id: callId, event: name, timestamp: new Date().toISOString(), reason: null, event_id: `e${n}` });
    await eventually(async () => (await handle.describe()).status.name === 'RUNNING');
    await handle.signal(telephonyEventSignal, event('ringing', 1));
    await handle.signal(telephonyEventSignal, event('answered', 2));
    // This worker plays the gateway that carries the call: its media activities come to the same queue.
    await handle.signal(mediaAttachedSignal, { taskQueue, gatewayId: 'test' });
    await handle.signal(calleeUtteranceSignal, { durationMs: 900, utteranceId: 'utt-001', tentative: true, endedAt: new Date().toISOString() });
    await eventually(() => log.includes('start utt-001'));
    await handle.signal(calleeUtteranceSignal, { durationMs: 900, utteranceId: 'utt-002', supersedes: 'utt-001', endedAt: new Date().toISOString() });
    const session = (await handle.result()) as CallSession;
    clearTimeout(release);
    releaseProvisional();
    // The whole phrase was answered while the void turn was still running.
    expect(log.slice(0, 3)).toEqual(['start utt-001', 'start utt-002', 'end utt-002']);
    expect(session.transcript.filter((turn) => turn.speaker === 'user').map((turn) => turn.text)).toEqual(['Ну, даже не знаю, пожалуй, расскажите.']);
    expect(session.end_reason).toBe('goodbye');
  });
}, 90_000);
