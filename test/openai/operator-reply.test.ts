import type OpenAI from 'openai';
import { createOpenAIClient } from '../../src/openai/client';
import { startOpenAIEmulator, type OpenAIEmulator } from '../../src/openai/emulator';
import {
  DEFAULT_CLOSING_INSTRUCTION,
  INTERRUPTED_MARK,
  boundHistory,
  generateOperatorReply,
} from '../../src/openai/operator-reply';
import { clearSystemPromptCache, loadSystemPrompt } from '../../src/openai/system-prompt';
import { chatBody, turn } from './helpers';

describe('generateOperatorReply against the local OpenAI emulator', () => {
  let emulator: OpenAIEmulator;
  let client: OpenAI;
  const systemPrompt = (() => {
    clearSystemPromptCache();
    return loadSystemPrompt('prompts/operator-system-prompt.ru.md', {});
  })();
  const base = { model: 'gpt-4.1-mini', temperature: 0.7, maxOutputTokens: 180, systemPrompt, maxHistoryTurns: 20 };

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

  it('opens the call with a Russian greeting that introduces the product', async () => {
    const reply = await generateOperatorReply(client, { ...base, history: [] });
    expect(reply.text).toMatch(/^Здравствуйте!/);
    expect(reply.text).toContain('СвязьПлюс');
    expect(reply.isGoodbye).toBe(false);
    expect(reply.finishReason).toBe('stop');
    expect(reply.usage?.completionTokens).toBeGreaterThan(0);
    const body = chatBody(emulator.requests[0]?.body);
    expect(body.messages).toHaveLength(1);
    expect(body.messages[0]?.role).toBe('system');
    expect(body.messages[0]?.content).toContain('Продукт: бизнес-интернет от компании «СвязьПлюс»');
  });

  it('sends the system prompt plus only the bounded history, with temperature and max_completion_tokens', async () => {
    const history = [
      turn('assistant', 'Здравствуйте! Я звоню с предложением бизнес-интернета. Вам интересно?'),
      turn('user', 'А кто это?'),
      turn('assistant', 'Я оператор компании СвязьПлюс.', true),
      turn('user', 'Сколько стоит?'),
      turn('assistant', 'Стоимость зависит от тарифа. Вам было бы интересно?'),
      turn('user', 'Не расслышал, повторите'),
      turn('assistant', 'Повторю: бизнес-интернет. Интересно?'),
      turn('user', 'Да, давайте подробнее'),
    ];
    const reply = await generateOperatorReply(client, { ...base, history, maxHistoryTurns: 4 });

    expect(emulator.requests).toHaveLength(1);
    const body = chatBody(emulator.requests[0]?.body);
    expect(body.model).toBe('gpt-4.1-mini');
    expect(body.temperature).toBe(0.7);
    expect(body.max_completion_tokens).toBe(180);
    // system + the opening greeting (kept) + the last 3 turns = 4 turns in all
    expect(body.messages.map((m) => m.role)).toEqual(['system', 'assistant', 'user', 'assistant', 'user']);
    expect(body.messages.map((m) => m.content).slice(1)).toEqual([
      'Здравствуйте! Я звоню с предложением бизнес-интернета. Вам интересно?',
      'Не расслышал, повторите',
      'Повторю: бизнес-интернет. Интересно?',
      'Да, давайте подробнее',
    ]);
    expect(reply.text).toBe(
      'Отлично! Я могу передать ваш номер менеджеру, он перезвонит и расскажет все подробности. Передать?',
    );
    expect(reply.isGoodbye).toBe(false);
  });

  it('marks an interrupted operator turn for the model', async () => {
    const history = [
      turn('assistant', 'Здравствуйте! Мы предлагаем бизнес-интернет', true),
      turn('user', 'Кто это?'),
    ];
    await generateOperatorReply(client, { ...base, history });
    const body = chatBody(emulator.requests[0]?.body);
    expect(body.messages[1]).toEqual({ role: 'assistant', content: `Здравствуйте! Мы предлагаем бизнес-интернет${INTERRUPTED_MARK}` });
    expect(body.messages[2]).toEqual({ role: 'user', content: 'Кто это?' });
  });

  it('ends with a goodbye (marker stripped) when the callee declines', async () => {
    const history = [turn('assistant', 'Здравствуйте! Вам интересен бизнес-интернет?'), turn('user', 'Нет, спасибо, не интересно')];
    const reply = await generateOperatorReply(client, { ...base, history });
    expect(reply.isGoodbye).toBe(true);
    expect(reply.text).toBe('Понимаю вас, больше не беспокоим. Спасибо за уделённое время, всего доброго!');
    expect(reply.text).not.toContain('[END]');
  });

  it('sends the closing instruction as the last system message and gets a summary + goodbye', async () => {
    const history = [
      turn('assistant', 'Здравствуйте! Вам интересен бизнес-интернет?'),
      turn('user', 'Сколько стоит?'),
    ];
    const reply = await generateOperatorReply(client, { ...base, history, closingInstruction: DEFAULT_CLOSING_INSTRUCTION });
    const body = chatBody(emulator.requests[0]?.body);
    expect(body.messages.at(-1)).toEqual({ role: 'system', content: DEFAULT_CLOSING_INSTRUCTION });
    expect(DEFAULT_CLOSING_INSTRUCTION).toContain('Время разговора истекло');
    expect(reply.isGoodbye).toBe(true);
    expect(reply.text).toMatch(/всего доброго!$/);
  });

  it('throws on an empty model output', async () => {
    emulator.injectFault({
      path: '/v1/chat/completions',
      status: 200,
      body: {
        id: 'chatcmpl-empty',
        object: 'chat.completion',
        created: 1,
        model: 'emulated-gpt-4.1-mini',
        choices: [{ index: 0, message: { role: 'assistant', content: '  ', refusal: null }, finish_reason: 'stop', logprobs: null }],
      },
    });
    await expect(generateOperatorReply(client, { ...base, history: [] })).rejects.toThrow(/empty operator reply/);
  });

  it('cuts a reply truncated by the token limit at the last full sentence', async () => {
    emulator.injectFault({
      path: '/v1/chat/completions',
      status: 200,
      body: {
        id: 'chatcmpl-long',
        object: 'chat.completion',
        created: 1,
        model: 'emulated-gpt-4.1-mini',
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: 'Понимаю вас. Тогда расскажу кратко о тарифах, которые', refusal: null },
            finish_reason: 'length',
            logprobs: null,
          },
        ],
      },
    });
    const reply = await generateOperatorReply(client, { ...base, history: [] });
    expect(reply).toMatchObject({ text: 'Понимаю вас.', finishReason: 'length', isGoodbye: false });
  });
});

describe('boundHistory', () => {
  const turns = [turn('assistant', 'A0'), turn('user', 'U1'), turn('assistant', 'A2'), turn('user', 'U3'), turn('assistant', 'A4'), turn('user', 'U5')];

  it('keeps everything when under the limit', () => {
    expect(boundHistory(turns, 10).map((t) => t.text)).toEqual(['A0', 'U1', 'A2', 'U3', 'A4', 'U5']);
  });
  it('keeps the opening greeting plus the most recent turns', () => {
    expect(boundHistory(turns, 3).map((t) => t.text)).toEqual(['A0', 'A4', 'U5']);
  });
  it('keeps only the last turn with a limit of 1', () => {
    expect(boundHistory(turns, 1).map((t) => t.text)).toEqual(['U5']);
  });
  it('does not keep a leading user turn specially and skips blank turns', () => {
    const userFirst = [turn('user', 'Алло'), turn('assistant', ' '), turn('assistant', 'A1'), turn('user', 'U2'), turn('assistant', 'A3')];
    expect(boundHistory(userFirst, 2).map((t) => t.text)).toEqual(['U2', 'A3']);
  });
});
