import { createOpenAIClient } from '../../src/openai/client';
import { startOpenAIEmulator, type OpenAIEmulator } from '../../src/openai/emulator';
import { streamOperatorSentences } from '../../src/openai/operator-reply-stream';

// How a streamed reply is cut for speech: the first piece as early as it can be said on its own,
// then sentence by sentence. The model's text arrives word by word over real SSE through the SDK.
let emulator: OpenAIEmulator;
let reply = '';
let finishReason = 'stop';
beforeAll(async () => {
  emulator = await startOpenAIEmulator({
    routes: [
      {
        method: 'POST',
        path: '/v1/chat/completions',
        handle: ({ res }) => {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          const chunk = (content: string | null) => ({ id: 'c', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta: content === null ? {} : { content }, finish_reason: content === null ? finishReason : null }] });
          for (const word of reply.match(/\S+\s*/g) ?? []) res.write(`data: ${JSON.stringify(chunk(word))}\n\n`);
          res.end(`data: ${JSON.stringify(chunk(null))}\n\ndata: [DONE]\n\n`);
        },
      },
    ],
    speech: false,
  });
});
afterAll(() => emulator.close());

async function pieces(text: string, finish = 'stop'): Promise<string[]> {
  reply = text;
  finishReason = finish;
  const client = createOpenAIClient({ apiKey: 'k', baseURL: emulator.url, timeoutMs: 2000, maxRetries: 0 });
  const out: string[] = [];
  for await (const piece of streamOperatorSentences(client, { model: 'm', temperature: 0, maxOutputTokens: 100, systemPrompt: 's', maxHistoryTurns: 5, history: [] })) out.push(piece);
  return out;
}

test('a long first sentence is voiced from its first clause on; the rest goes by sentences', async () => {
  expect(await pieces('Стоимость зависит от тарифа, точный расчёт сделает менеджер. Вам было бы интересно? Да.')).toEqual([
    'Стоимость зависит от тарифа,',
    'точный расчёт сделает менеджер.',
    'Вам было бы интересно?',
    'Да.',
  ]);
});

test('a short first sentence goes whole, and a clause too short to stand alone waits for its sentence', async () => {
  expect(await pieces('Отлично! Я могу передать ваш номер, он перезвонит.')).toEqual(['Отлично!', 'Я могу передать ваш номер, он перезвонит.']);
  expect(await pieces('Да, конечно, перезвоним завтра. Всего доброго!')).toEqual(['Да, конечно, перезвоним завтра.', 'Всего доброго!']);
  expect(await pieces('Да, я вас понимаю, но это займёт минуту.')).toEqual(['Да, я вас понимаю,', 'но это займёт минуту.']);
});

test('a reply cut by the token limit drops its unfinished tail instead of speaking it mid-sentence', async () => {
  expect(await pieces('Здравствуйте! Меня зовут Анна. Вам было', 'length')).toEqual(['Здравствуйте!', 'Меня зовут Анна.']);
  // The same text, finished normally, is spoken whole; a cut reply with nothing complete is still said.
  expect(await pieces('Здравствуйте! Меня зовут Анна. Вам было', 'stop')).toEqual(['Здравствуйте!', 'Меня зовут Анна.', 'Вам было']);
  expect(await pieces('Вам было бы', 'length')).toEqual(['Вам было бы']);
});
