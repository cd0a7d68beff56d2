import { Worker } from '@temporalio/worker';
import { RESULT_COLUMNS } from '../../src/results/result-row';
import { CallDispositionAttribute, CallStatusAttribute } from '../../workflows/search-attributes';
import { callSessionQuery } from '../../workflows/definitions';
import { startCallWorkflow } from '../support/call-input';
import { eventually, startTestStack, type TestStack } from '../support/test-stack';

// Simulated callees by number suffix (src/telephony/simulated/callee-behaviours.ts).
const INTERESTED = '+79990000001';
const BUSY = '+79990000002';
const RINGS_FOREVER = '+79990000003';
const UNREACHABLE = '+79990000004';
const NOT_INTERESTED = '+79990000005';
const CALL_LATER = '+79990000006';
const SILENT = '+79990000007';
const HANGS_UP = '+79990000008';
const UNCLEAR = '+79990000009';
const REJECTS = '+79990000010';
const PROVIDER_DOWN = '+79990000011';

let t: TestStack;
beforeAll(async () => {
  t = await startTestStack({ limits: { ringTimeoutSec: 3 } });
}, 90_000);
afterAll(async () => {
  await t?.stop();
});

const rowFor = async (callId: string) => (await t.rows()).filter((row) => row.call_id === callId);

describe('a call that is answered', () => {
  test('an interested callee: dialog, completed, classified interested, one row', async () => {
    const callId = await t.placeCall(INTERESTED);
    const seen = new Set<string>();
    const handle = t.stack.client.workflow.getHandle(callId);
    let ended = false;
    const watcher = (async () => {
      while (!ended) {
        seen.add((await handle.query(callSessionQuery)).status);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const session = await t.waitForEnd(callId);
    ended = true;
    await watcher;

    expect(seen.has('in_progress')).toBe(true);
    expect(session.status).toBe('completed');
    expect(session.final_disposition).toBe('interested');
    expect(session.short_summary).toEqual(expect.any(String));
    expect(session.end_reason).toBe('goodbye');
    expect(session.transcript[0]).toMatchObject({ speaker: 'assistant', text: expect.stringContaining('Здравствуйте') });
    // The callee's lines reached the dialog in order, each answered by the operator.
    const callee = t.simulator().conversationOf(callId)!;
    expect(session.transcript.filter((turn) => turn.speaker === 'user').map((turn) => turn.text)).toEqual(callee.said);
    expect(callee.heard).toEqual(session.transcript.filter((turn) => turn.speaker === 'assistant').map((turn) => turn.text));
    expect(session.started_at).not.toBeNull();
    expect(session.duration_sec).toBeGreaterThanOrEqual(0);

    const rows = await eventually(async () => {
      const found = await rowFor(callId);
      return found.length > 0 && found;
    });
    expect(rows).toHaveLength(1);
    expect(Object.keys(rows[0]!)).toEqual([...RESULT_COLUMNS]);
    expect(rows[0]).toMatchObject({ call_id: callId, phone: INTERESTED, status: 'completed', final_disposition: 'interested' });
    expect(rows[0]!.transcript).toContain('Абонент: Да, интересно, расскажите подробнее.');
    expect(rows[0]!.timestamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+03:00$/);
  });

  test.each([
    [NOT_INTERESTED, 'not_interested'],
    [CALL_LATER, 'call_later'],
  ])('callee %s is classified %s and the operator says goodbye', async (phone, disposition) => {
    const session = await t.waitForEnd(await t.placeCall(phone));
    expect(session.status).toBe('completed');
    expect(session.final_disposition).toBe(disposition);
    expect(session.end_reason).toBe('goodbye');
    expect(session.transcript.at(-1)?.speaker).toBe('assistant');
  });

  test('a hang-up mid-call ends the dialog at once and the call is still classified and written', async () => {
    const callId = await t.placeCall(HANGS_UP);
    const session = await t.waitForEnd(callId);
    expect(session.status).toBe('completed');
    expect(session.end_reason).toBe('hangup');
    expect(session.transcript.filter((turn) => turn.speaker === 'user')).toHaveLength(1);
    expect(await rowFor(callId)).toHaveLength(1);
  });
});

describe('operations', () => {
  test('calls are filterable by status and disposition (no phone numbers there) and their history replays deterministically', async () => {
    const callId = await t.placeCall(INTERESTED);
    await t.waitForEnd(callId);
    const handle = t.stack.client.workflow.getHandle(callId);
    const description = await handle.describe();
    expect(description.typedSearchAttributes.get(CallStatusAttribute)).toBe('completed');
    expect(description.typedSearchAttributes.get(CallDispositionAttribute)).toBe('interested');
    expect(JSON.stringify(description.searchAttributes)).not.toContain('9990000001');
    // The same filter an operator types into the Web UI.
    const query = `CallStatus = "completed" AND CallDisposition = "interested" AND WorkflowId = "${callId}"`;
    const found = await eventually(async () => {
      for await (const execution of t.stack.client.workflow.list({ query })) return execution.workflowId;
      return undefined;
    });
    expect(found).toBe(callId);
    // Replaying the recorded history with today's workflow code must not hit non-determinism.
    await Worker.runReplayHistory({ workflowsPath: require.resolve('../../workflows') }, await handle.fetchHistory(), callId);
  });
});

describe('a call that does not connect', () => {
  test('busy: no_answer, unknown, 0 s, "Не дозвонились" summary', async () => {
    const callId = await t.placeCall(BUSY);
    const session = await t.waitForEnd(callId);
    expect(session).toMatchObject({ status: 'no_answer', final_disposition: 'unknown', duration_sec: 0, end_reason: 'busy', transcript: [] });
    const [row] = await rowFor(callId);
    expect(row).toMatchObject({ status: 'no_answer', final_disposition: 'unknown', duration_sec: '0' });
    expect(row!.short_summary).toContain('Не дозвонились: статус no_answer');
  });

  test('no answer within the ring timeout: no_answer and we hang up', async () => {
    const callId = await t.placeCall(RINGS_FOREVER);
    const started = Date.now();
    const session = await t.waitForEnd(callId);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2500); // the 3 s durable ring timer
    expect(session).toMatchObject({ status: 'no_answer', end_reason: 'ring_timeout' });
    expect(t.logs.some((l) => l.msg === 'call hung up' && l.call_id === callId && l.reason === 'ring_timeout')).toBe(true);
    expect(await rowFor(callId)).toHaveLength(1);
  });

  test('declined (603): no_answer', async () => {
    const session = await t.waitForEnd(await t.placeCall(REJECTS));
    expect(session).toMatchObject({ status: 'no_answer', end_reason: 'no_answer' });
  });

  test('provider error: failed with the reason, one row', async () => {
    const callId = await t.placeCall(UNREACHABLE);
    const session = await t.waitForEnd(callId);
    expect(session.status).toBe('failed');
    expect(session.end_reason).toContain('503');
    const [row] = await rowFor(callId);
    expect(row).toMatchObject({ status: 'failed', final_disposition: 'unknown', duration_sec: '0' });
    expect(row!.short_summary).toContain('failed');
  });
});

test('the provider refusing to dial: failed with its reason after retries, one row', async () => {
  const callId = await t.placeCall(PROVIDER_DOWN);
  const session = await t.waitForEnd(callId);
  expect(session.status).toBe('failed');
  expect(session.end_reason).toBe('dial failed: simulated provider API: 503 Service Unavailable');
  expect(await rowFor(callId)).toHaveLength(1);
});

describe('limits and endings (limits passed as workflow arguments)', () => {
  const taskQueue = () => t.stack.config.env.TEMPORAL_TASK_QUEUE;

  test('at the time limit the operator sums up, says goodbye and hangs up', async () => {
    const callId = await startCallWorkflow(t.stack.client, taskQueue(), SILENT, { maxConversationSec: 2 });
    const session = await t.waitForEnd(callId);
    expect(session.status).toBe('completed');
    expect(session.end_reason).toBe('time_limit');
    const assistantTurns = session.transcript.filter((turn) => turn.speaker === 'assistant');
    expect(assistantTurns).toHaveLength(2); // greeting + closing
    expect(assistantTurns[1]!.text).toMatch(/свидания|доброго/i);
    expect(session.final_disposition).toBe('unknown'); // the callee never spoke
    expect(t.logs.some((l) => l.msg === 'call hung up' && l.call_id === callId && l.reason === 'time_limit')).toBe(true);
  });

  test('after the maximum number of turns the operator closes the call', async () => {
    const callId = await startCallWorkflow(t.stack.client, taskQueue(), UNCLEAR, { maxTurns: 2 });
    const session = await t.waitForEnd(callId);
    expect(session.end_reason).toBe('turn_limit');
    expect(session.transcript.filter((turn) => turn.speaker === 'user')).toHaveLength(2);
    expect(session.transcript.at(-1)?.speaker).toBe('assistant');
  });
});

describe('failures never lose the call', () => {
  test('a failed model turn is answered with the fallback phrase and the dialog goes on', async () => {
    // One turn = up to 2 activity attempts x (1 + 1 SDK retry) requests.
    t.stack.openai.emulator!.injectFault({ path: '/v1/chat/completions', status: 500, times: 4 });
    const session = await t.waitForEnd(await t.placeCall(INTERESTED));
    t.stack.openai.emulator!.clearFaults();
    expect(session.transcript.some((turn) => turn.speaker === 'assistant' && turn.text.includes('повторите'))).toBe(true);
    expect(session.status).toBe('completed');
    expect(session.final_disposition).toBe('interested');
    expect(t.logs.some((l) => l.msg === 'speech provider request failed' && l.stage === 'LLM')).toBe(true);
  });

  test('a classification failure gives unknown with an explanation, never a failed call', async () => {
    t.stack.openai.emulator!.injectFault({
      path: '/v1/chat/completions',
      status: 400,
      times: 10,
      when: (body) => typeof body === 'object' && body !== null && 'response_format' in body,
    });
    const callId = await t.placeCall(NOT_INTERESTED);
    const session = await t.waitForEnd(callId);
    t.stack.openai.emulator!.clearFaults();
    expect(session.status).toBe('completed');
    expect(session.final_disposition).toBe('unknown');
    expect(session.short_summary).toContain('Не удалось классифицировать');
    expect(await rowFor(callId)).toHaveLength(1);
  });

  test('a call cancelled by an operator mid-conversation is hung up and still gets its one row', async () => {
    const callId = await startCallWorkflow(t.stack.client, t.stack.config.env.TEMPORAL_TASK_QUEUE, SILENT, { maxConversationSec: 60 });
    const handle = t.stack.client.workflow.getHandle(callId);
    await eventually(async () => (await handle.query(callSessionQuery)).status === 'in_progress');
    await handle.cancel();
    const session = await t.waitForEnd(callId);
    expect(session.end_reason).toBe('cancelled');
    expect(session.ended_at).not.toBeNull();
    expect(t.logs.some((l) => l.msg === 'call hung up' && l.call_id === callId)).toBe(true);
    const rows = await eventually(async () => {
      const found = await rowFor(callId);
      return found.length > 0 && found;
    });
    expect(rows).toHaveLength(1);
  });
});
