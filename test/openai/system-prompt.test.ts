import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_PRODUCT_DESCRIPTION,
  GOODBYE_MARKER,
  clearSystemPromptCache,
  loadSystemPrompt,
  renderSystemPrompt,
  splitGoodbyeMarker,
} from '../../src/openai/system-prompt';

const PROMPT_FILE = 'prompts/operator-system-prompt.ru.md';

describe('operator system prompt', () => {
  beforeEach(() => clearSystemPromptCache());

  it('fills {{product}} with the default description and states the spec 5.3 rules in Russian', () => {
    const template = readFileSync(PROMPT_FILE, 'utf8');
    expect(template).toContain('{{product}}');
    const prompt = loadSystemPrompt(PROMPT_FILE);
    expect(prompt).not.toMatch(/\{\{/);
    expect(prompt).toContain(`Продукт: ${DEFAULT_PRODUCT_DESCRIPTION}`);
    for (const phrase of ['вежливый', 'нейтральный', 'не интересно', 'перезвонить позже', 'непонятно', 'Не спорь', 'не дави', 'посторонние темы', 'искусственный интеллект', 'одно-два предложения', GOODBYE_MARKER]) {
      expect(prompt).toContain(phrase);
    }
  });

  it('uses a configured product description', () => {
    const prompt = loadSystemPrompt(PROMPT_FILE, { product: 'облачная АТС «Телефон-Про» для малого бизнеса' });
    expect(prompt).toContain('Продукт: облачная АТС «Телефон-Про» для малого бизнеса');
    expect(prompt).not.toContain('СвязьПлюс');
  });

  it('reads the file once and caches it per path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'prompt-'));
    const file = join(dir, 'p.md');
    writeFileSync(file, 'Версия 1: {{product}}');
    expect(loadSystemPrompt(file, { product: 'X' })).toBe('Версия 1: X');
    writeFileSync(file, 'Версия 2: {{product}}');
    expect(loadSystemPrompt(file, { product: 'Y' })).toBe('Версия 1: Y');
    clearSystemPromptCache();
    expect(loadSystemPrompt(file, { product: 'Y' })).toBe('Версия 2: Y');
  });

  it('rejects a placeholder that has no value', () => {
    expect(() => renderSystemPrompt('Привет, {{name}}! {{product}}')).toThrow('System prompt placeholders without a value: name');
  });
});

describe('splitGoodbyeMarker', () => {
  it('strips the [END] marker and reports a goodbye', () => {
    expect(splitGoodbyeMarker('Спасибо, передам заявку менеджеру. [END]')).toEqual({
      text: 'Спасибо, передам заявку менеджеру.',
      isGoodbye: true,
    });
    expect(splitGoodbyeMarker('Хорошо, перезвоним позже [ end ]')).toEqual({ text: 'Хорошо, перезвоним позже', isGoodbye: true });
  });

  it('treats a plain Russian goodbye as a goodbye even without the marker', () => {
    expect(splitGoodbyeMarker('Спасибо за время. До свидания!').isGoodbye).toBe(true);
    expect(splitGoodbyeMarker('Поняла вас. Всего доброго!').isGoodbye).toBe(true);
  });

  it('does not flag an ordinary reply', () => {
    expect(splitGoodbyeMarker('Вам было бы интересно узнать подробнее?')).toEqual({
      text: 'Вам было бы интересно узнать подробнее?',
      isGoodbye: false,
    });
  });
});
