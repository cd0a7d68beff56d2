import type OpenAI from 'openai';
import type { DialogTurn } from '../../src/domain/call-session';
import { classifyCall, CLASSIFICATION_SCHEMA_NAME } from '../../src/openai/call-classifier';
import { createOpenAIClient } from '../../src/openai/client';
import { startOpenAIEmulator, type OpenAIEmulator } from '../../src/openai/emulator';
import { chatBody, turn } from './helpers';

const GREETING = 'Здравствуйте! Меня зовут Анна, компания «СвязьПлюс», предлагаем бизнес-интернет. Вам интересно?';

const TRANSCRIPTS: Record<'interested' | 'not_interested' | 'call_later' | 'neutral', DialogTurn[]> = {
  interested: [
    turn('assistant', GREETING),
    turn('user', 'Да, слушаю. А сколько стоит?'),
    turn('assistant', 'Стоимость зависит от тарифа, точный расчёт сделает менеджер. Вам было бы интересно?'),
    turn('user', 'Да, интересно, расскажите подробнее'),
    turn('assistant', 'Отлично! Могу передать ваш номер менеджеру. Передать?'),
    turn('user', 'Да, запишите'),
  ],
  not_interested: [
    turn('assistant', GREETING),
    turn('user', 'Нет, спасибо, нам это не интересно.'),
    turn('assistant', 'Понимаю вас, всего доброго!'),
  ],
  call_later: [
    turn('assistant', GREETING),
    turn('user', 'Я сейчас за рулём, перезвоните попозже, пожалуйста'),
    turn('assistant', 'Конечно, перезвоним позже. Всего доброго!'),
  ],
  neutral: [turn('assistant', GREETING), turn('user', 'Алло? Кто это?'), turn('assistant', 'Я оператор компании СвязьПлюс.')],
};

describe('classifyCall (structured output) against the local OpenAI emulator', () => {
  let emulator: OpenAIEmulator;
  let client: OpenAI;

  beforeAll(async () => {
    emulator = await startOpenAIEmulator();
    client = createOpenAIClient({ apiKey: 'test-key', baseURL: emulator.url, timeoutMs: 2000, maxRetries: 0 });
  });
  afterAll(async () => {
    await emulator.close();
  });
  beforeEach(() => {
    emulator.requests.length = 0;
    emulator.clearFaults();
  });

  it.each(['interested', 'not_interested', 'call_later', 'neutral'] as const)('classifies a "%s" conversation', async (expected) => {
    const result = await classifyCall(client, { model: 'gpt-4.1-mini', transcript: TRANSCRIPTS[expected] });
    expect(result.final_disposition).toBe(expected);
    expect(result.short_summary).toMatch(/^Абонент [а-яё]/);
    expect(result.short_summary.split(/[.!?](?:\s|$)/).filter((s) => s.trim() !== '').length).toBeLessThanOrEqual(2);
  });

  it('sends a strict JSON schema, temperature 0 and the transcript as labelled Russian text', async () => {
    await classifyCall(client, { model: 'gpt-4.1-mini', transcript: TRANSCRIPTS.call_later });
    expect(emulator.requests).toHaveLength(1);
    const body = chatBody(emulator.requests[0]?.body);
    expect(body.temperature).toBe(0);
    expect(body.response_format?.type).toBe('json_schema');
    expect(body.response_format?.json_schema?.name).toBe(CLASSIFICATION_SCHEMA_NAME);
    expect(body.response_format?.json_schema?.strict).toBe(true);
    const schema = body.response_format?.json_schema?.schema as { properties: Record<string, { enum?: string[] }>; required: string[] };
    expect(schema.required).toEqual(['final_disposition', 'short_summary']);
    expect(schema.properties.final_disposition?.enum).toEqual(['interested', 'not_interested', 'call_later', 'neutral']);
    expect(body.messages[0]?.content).toContain('Классифицируй интерес');
    expect(body.messages[1]?.content).toContain('Абонент: Я сейчас за рулём, перезвоните попозже, пожалуйста');
    expect(body.messages[1]?.content).toContain(`Оператор: ${GREETING}`);
  });

  it('does not call the model when the callee said nothing', async () => {
    const result = await classifyCall(client, { model: 'gpt-4.1-mini', transcript: [turn('assistant', GREETING)] });
    expect(result.final_disposition).toBe('neutral');
    expect(emulator.requests).toHaveLength(0);
  });

  const completionWith = (message: Record<string, unknown>) => ({
    id: 'chatcmpl-x',
    object: 'chat.completion',
    created: 1,
    model: 'emulated-gpt-4.1-mini',
    choices: [{ index: 0, message: { role: 'assistant', refusal: null, ...message }, finish_reason: 'stop', logprobs: null }],
  });

  it('throws a clear error on output outside the schema', async () => {
    emulator.injectFault({
      path: '/v1/chat/completions',
      status: 200,
      body: completionWith({ content: JSON.stringify({ final_disposition: 'maybe', short_summary: 'x' }) }),
    });
    await expect(classifyCall(client, { model: 'gpt-4.1-mini', transcript: TRANSCRIPTS.interested })).rejects.toThrow(
      /^Call classification output is invalid/,
    );
  });

  it('throws a clear error on a refusal', async () => {
    emulator.injectFault({
      path: '/v1/chat/completions',
      status: 200,
      body: completionWith({ content: null, refusal: 'I cannot help with that.' }),
    });
    await expect(classifyCall(client, { model: 'gpt-4.1-mini', transcript: TRANSCRIPTS.interested })).rejects.toThrow(
      'Call classification refused by the model: I cannot help with that.',
    );
  });
});
