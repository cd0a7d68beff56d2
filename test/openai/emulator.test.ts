import { Writable } from 'node:stream';
import { createOpenAIClient } from '../../src/openai/client';
import { classifyUtterance, emulateOperatorReply, startOpenAIEmulator, type OpenAIEmulator } from '../../src/openai/emulator';
import { createLogger } from '../../src/logging/logger';
import { DEFAULT_CLOSING_INSTRUCTION, generateOperatorReply } from '../../src/openai/operator-reply';
import { loadSystemPrompt } from '../../src/openai/system-prompt';
import type { DialogTurn } from '../../src/domain/call-session';
import { turn } from './helpers';

const AUTH = { authorization: 'Bearer test-key', 'content-type': 'application/json' };

describe('OpenAI emulator over HTTP', () => {
  let emulator: OpenAIEmulator;
  const logLines: string[] = [];

  beforeAll(async () => {
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        logLines.push(chunk.toString());
        done();
      },
    });
    emulator = await startOpenAIEmulator({ logger: createLogger({ destination }) });
  });
  afterAll(async () => {
    await emulator.close();
  });
  beforeEach(() => {
    emulator.requests.length = 0;
    emulator.clearFaults();
  });

  it('listens on 127.0.0.1, says it is an emulator, and prefixes model names', async () => {
    expect(emulator.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    expect(logLines.join('')).toContain('OpenAI EMULATOR listening');
    const res = await fetch(`${emulator.url}/chat/completions`, {
      method: 'POST',
      headers: AUTH,
      body: JSON.stringify({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'Алло' }] }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-emulator')).toBe('openai-emulator');
    const body = (await res.json()) as { object: string; model: string; choices: { message: { content: string } }[] };
    expect(body.object).toBe('chat.completion');
    expect(body.model).toBe('emulated-gpt-4.1-mini');
    expect(body.choices[0]?.message.content).toMatch(/^Здравствуйте!/);
  });

  it('streams SSE chunks with usage, readable by the SDK', async () => {
    const client = createOpenAIClient({ apiKey: 'k', baseURL: emulator.url, timeoutMs: 2000, maxRetries: 0 });
    const stream = await client.chat.completions.create({
      model: 'gpt-4.1-mini',
      messages: [{ role: 'system', content: 'Продукт: облачная АТС' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish: string | null = null;
    let usageTokens = 0;
    let models = new Set<string>();
    for await (const chunk of stream) {
      models = models.add(chunk.model);
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usageTokens = chunk.usage.completion_tokens;
    }
    expect(text).toBe('Здравствуйте! Меня зовут Анна, я звоню с коротким предложением: облачная АТС. Вам было бы интересно узнать подробнее?');
    expect(finish).toBe('stop');
    expect(usageTokens).toBe(Math.ceil(text.length / 4));
    expect([...models]).toEqual(['emulated-gpt-4.1-mini']);
  });

  it('ends the SSE stream with [DONE]', async () => {
    const res = await fetch(`${emulator.url}/chat/completions`, {
      method: 'POST',
      headers: AUTH,
      body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'Алло' }] }),
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const raw = await res.text();
    const events = raw.split('\n\n').filter((e) => e !== '');
    expect(events.every((e) => e.startsWith('data: '))).toBe(true);
    expect(events.at(-1)).toBe('data: [DONE]');
    const first = JSON.parse(events[0]!.slice(6)) as { object: string; choices: { delta: { role?: string } }[] };
    expect(first.object).toBe('chat.completion.chunk');
    expect(first.choices[0]?.delta.role).toBe('assistant');
  });

  it('answers unknown paths with 404 and bad bodies with 400, in the OpenAI error shape', async () => {
    const notFound = await fetch(`${emulator.url}/audio/whatever`, { method: 'POST', headers: AUTH, body: '{}' });
    expect(notFound.status).toBe(404);
    expect(notFound.headers.get('x-emulator')).toBe('openai-emulator');
    expect(((await notFound.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');

    const badJson = await fetch(`${emulator.url}/chat/completions`, { method: 'POST', headers: AUTH, body: '{"model":' });
    expect(badJson.status).toBe(400);
    expect(emulator.requests.at(-1)?.body).toBe('{"model":');

    const noModel = await fetch(`${emulator.url}/chat/completions`, {
      method: 'POST',
      headers: AUTH,
      body: JSON.stringify({ messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(noModel.status).toBe(400);
    expect(await noModel.json()).toEqual({
      error: { message: "Missing required parameter: 'model'.", type: 'invalid_request_error', param: 'model', code: 'missing_required_parameter' },
    });

    const noMessages = await fetch(`${emulator.url}/chat/completions`, { method: 'POST', headers: AUTH, body: JSON.stringify({ model: 'm' }) });
    expect(((await noMessages.json()) as { error: { param: string } }).error.param).toBe('messages');
  });

  it('applies a fault the given number of times, with retry-after, then recovers', async () => {
    emulator.injectFault({ path: '/v1/chat/completions', status: 503, retryAfterSeconds: 2, times: 2 });
    const post = () =>
      fetch(`${emulator.url}/chat/completions`, { method: 'POST', headers: AUTH, body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'Алло' }] }) });
    const first = await post();
    expect(first.status).toBe(503);
    expect(first.headers.get('retry-after')).toBe('2');
    expect(((await first.json()) as { error: { type: string } }).error.type).toBe('server_error');
    expect((await post()).status).toBe(503);
    expect((await post()).status).toBe(200);
  });

  it('applies a fault only to requests matching its `when` predicate', async () => {
    emulator.injectFault({
      path: '/v1/chat/completions',
      status: 400,
      times: 5,
      when: (body) => typeof body === 'object' && body !== null && 'response_format' in body,
    });
    const post = (extra: Record<string, unknown>) =>
      fetch(`${emulator.url}/chat/completions`, {
        method: 'POST',
        headers: AUTH,
        body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'Нет, спасибо' }], ...extra }),
      });
    expect((await post({})).status).toBe(200);
    expect((await post({ response_format: { type: 'json_object' } })).status).toBe(400);
    expect((await post({})).status).toBe(200);
  });

  it('plays a whole conversation: intro, interest, manager offer, goodbye with [END]', async () => {
    const client = createOpenAIClient({ apiKey: 'k', baseURL: emulator.url, timeoutMs: 2000, maxRetries: 0 });
    const systemPrompt = loadSystemPrompt('prompts/operator-system-prompt.ru.md');
    const history: DialogTurn[] = [];
    const say = async (userText?: string) => {
      if (userText) history.push(turn('user', userText));
      const reply = await generateOperatorReply(client, { model: 'gpt-4.1-mini', temperature: 0.7, maxOutputTokens: 180, systemPrompt, history, maxHistoryTurns: 20 });
      history.push(turn('assistant', reply.text));
      return reply;
    };
    expect((await say()).text).toContain('Вам было бы интересно узнать подробнее?');
    expect((await say('А сколько это стоит?')).text).toBe('Стоимость зависит от тарифа, точный расчёт сделает менеджер. Вам было бы интересно?');
    const offer = await say('Да, интересно');
    expect(offer.text).toContain('менеджеру');
    expect(offer.isGoodbye).toBe(false);
    const bye = await say('Да, передайте');
    expect(bye).toMatchObject({ isGoodbye: true, text: 'Отлично, передаю вашу заявку менеджеру, он перезвонит вам в ближайшее время. Спасибо, всего доброго!' });
  });
});

describe('emulator rules (deterministic)', () => {
  it.each([
    ['Да, давайте подробнее', 'interested'],
    ['Запишите меня', 'interested'],
    ['Не интересно', 'not_interested'],
    ['Мне это неинтересно', 'not_interested'],
    ['Нет, спасибо', 'not_interested'],
    ['Не надо нам ничего', 'not_interested'],
    ['Не звоните сюда больше', 'not_interested'],
    ['Перезвоните завтра', 'call_later'],
    ['Звучит хорошо, давайте, пусть менеджер мне перезвонит.', 'interested'],
    ['Я сейчас занят, перезвоните, пожалуйста, позже.', 'call_later'],
    ['Я занят, давайте позже', 'call_later'],
    ['Да, слушаю', null],
    ['Кто это?', null],
  ] as const)('"%s" -> %s', (text, expected) => {
    expect(classifyUtterance(text)).toBe(expected);
  });

  it('says goodbye with the marker when asked to wrap up, or after a request to call later', () => {
    const closing = emulateOperatorReply([
      { role: 'system', content: 'Ты оператор.' },
      { role: 'assistant', content: 'Здравствуйте!' },
      { role: 'user', content: 'Хм' },
      { role: 'system', content: DEFAULT_CLOSING_INSTRUCTION },
    ]);
    expect(closing).toMatch(/^К сожалению, время разговора подошло к концу.*\[END\]$/);
    const later = emulateOperatorReply([
      { role: 'system', content: 'Ты оператор.' },
      { role: 'assistant', content: 'Здравствуйте!' },
      { role: 'user', content: 'Перезвоните попозже' },
    ]);
    expect(later).toBe('Конечно, перезвоним вам позже в более удобное время. Спасибо, всего доброго! [END]');
  });

  it('gives the same answer to the same input', () => {
    const messages = [{ role: 'user' as const, content: 'Алло' }];
    expect(emulateOperatorReply(messages)).toBe(emulateOperatorReply(messages));
  });
});

describe('emulator latency', () => {
  it('delays the first token and each further token as configured', async () => {
    const slow = await startOpenAIEmulator({ latency: { chatFirstTokenMs: 150, perTokenMs: 5 } });
    try {
      const client = createOpenAIClient({ apiKey: 'k', baseURL: slow.url, timeoutMs: 2000, maxRetries: 0 });
      let started = Date.now();
      const stream = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'Алло' }], stream: true });
      let firstTokenAt = 0;
      let chunks = 0;
      for await (const chunk of stream) {
        if (!firstTokenAt && chunk.choices[0]?.delta.content) firstTokenAt = Date.now() - started;
        chunks += 1;
      }
      const total = Date.now() - started;
      expect(firstTokenAt).toBeGreaterThanOrEqual(140);
      expect(total).toBeGreaterThanOrEqual(140 + 5 * (chunks - 3));

      started = Date.now();
      await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'Алло' }] });
      expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    } finally {
      await slow.close();
    }
  });
});
