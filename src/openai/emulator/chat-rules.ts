import { GOODBYE_MARKER } from '../system-prompt';
import { classifyUtterance, classifyUtterances, type EmulatedDisposition } from './classification-rules';
import type { ChatMessage } from './request-schema';
import { textOf } from './request-schema';

/**
 * The emulated operator: a few deterministic rules over the last callee message and the turn
 * count, producing short Russian replies in the style the system prompt asks for (including the
 * goodbye marker on the final reply). It reads only the conversation, never the real world.
 */

const FALLBACK_PRODUCT = 'выгодное предложение для вашего бизнеса';
/** After this many callee turns without a clear answer the operator wraps up. */
const MAX_UNCLEAR_TURNS = 4;

const GOODBYE: Record<EmulatedDisposition, string> = {
  interested: 'Отлично, передаю вашу заявку менеджеру, он перезвонит вам в ближайшее время. Спасибо, всего доброго!',
  not_interested: 'Понимаю вас, больше не беспокоим. Спасибо за уделённое время, всего доброго!',
  call_later: 'Конечно, перезвоним вам позже в более удобное время. Спасибо, всего доброго!',
  neutral: 'Спасибо за разговор! Если предложение станет актуальным, будем рады помочь. Всего доброго!',
};

/** The emulated model's sum-up and goodbye at a limit (exported for the tests that check it was said). */
export const WRAP_UP: Record<EmulatedDisposition, string> = {
  interested: 'Подведу итог: вам интересно предложение, менеджер перезвонит и расскажет подробности. Спасибо, всего доброго!',
  not_interested: 'Подведу итог: предложение вам сейчас не интересно, я это отмечу. Спасибо за время, всего доброго!',
  call_later: 'Подведу итог: вы просили перезвонить позже, так и сделаем. Спасибо, всего доброго!',
  neutral: 'К сожалению, время разговора подошло к концу. Спасибо, что выслушали, всего доброго!',
};

/** "Продукт: ..." line of the system prompt, shortened to one clause for speech. */
export function productFrom(systemPrompt: string): string {
  const line = /^\s*Продукт:\s*(.+)$/mu.exec(systemPrompt)?.[1]?.trim();
  if (!line || line.includes('{{')) return FALLBACK_PRODUCT;
  const clause = line.split(/[:;]/)[0]?.trim() ?? line;
  return clause.length > 0 ? clause : FALLBACK_PRODUCT;
}

const goodbye = (text: string) => `${text} ${GOODBYE_MARKER}`;

export function emulateOperatorReply(messages: readonly ChatMessage[]): string {
  const first = messages[0];
  const systemPrompt = first && (first.role === 'system' || first.role === 'developer') ? textOf(first.content) : '';
  const last = messages[messages.length - 1];
  const closingRequested = messages.length > 1 && last !== undefined && (last.role === 'system' || last.role === 'developer');
  const dialog = messages.filter((m) => m.role === 'user' || m.role === 'assistant');
  const userTexts = dialog.filter((m) => m.role === 'user').map((m) => textOf(m.content));
  const assistantTexts = dialog.filter((m) => m.role === 'assistant').map((m) => textOf(m.content));
  const product = productFrom(systemPrompt);

  if (closingRequested) return goodbye(WRAP_UP[classifyUtterances(userTexts).disposition]);

  const intro = `Здравствуйте! Меня зовут Анна, я звоню с коротким предложением: ${product}. Вам было бы интересно узнать подробнее?`;
  if (assistantTexts.length === 0) return intro;

  const lastDialog = dialog[dialog.length - 1];
  if (!lastDialog || lastDialog.role !== 'user') {
    return `Вы меня слышите? Я звоню с предложением: ${product}. Вам это интересно?`;
  }
  const said = textOf(lastDialog.content);
  const previousAssistant = assistantTexts[assistantTexts.length - 1] ?? '';

  switch (classifyUtterance(said)) {
    case 'not_interested':
      return goodbye(GOODBYE.not_interested);
    case 'call_later':
      return goodbye(GOODBYE.call_later);
    case 'interested':
      // Agreement to the manager's call closes the conversation; the first "yes" gets the offer.
      if (/передать ваш номер менеджеру/i.test(previousAssistant)) return goodbye(GOODBYE.interested);
      return 'Отлично! Я могу передать ваш номер менеджеру, он перезвонит и расскажет все подробности. Передать?';
    default:
      break;
  }

  if (userTexts.length >= MAX_UNCLEAR_TURNS) return goodbye(GOODBYE.neutral);
  const lower = said.toLowerCase();
  if (/сколько|цен[аы]|стоит|стоимост|тариф/.test(lower)) {
    return 'Стоимость зависит от тарифа, точный расчёт сделает менеджер. Вам было бы интересно?';
  }
  if (/кто (это|вы|звонит)|бот|робот|автоответчик|что за компания|какая компания/.test(lower)) {
    return `Я оператор компании, звоню с коротким предложением: ${product}. Вам было бы интересно?`;
  }
  if (/не расслыша|повторите|не понял|не поняла|что\?/.test(lower)) {
    return `Повторю: ${product}. Вам было бы это интересно?`;
  }
  return `Если коротко: ${product}. Скажите, вам было бы это интересно?`;
}
