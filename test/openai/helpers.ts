import type { DialogTurn } from '../../src/domain/call-session';

let clock = Date.parse('2025-01-01T10:00:00Z');

export function turn(speaker: DialogTurn['speaker'], text: string, interrupted?: boolean): DialogTurn {
  clock += 1000;
  return { speaker, text, timestamp: new Date(clock).toISOString(), ...(interrupted ? { interrupted } : {}) };
}

export interface RecordedChatBody {
  model: string;
  temperature?: number;
  max_completion_tokens?: number;
  messages: { role: string; content: string }[];
  response_format?: { type: string; json_schema?: { name: string; strict?: boolean; schema?: Record<string, unknown> } };
}

export function chatBody(body: unknown): RecordedChatBody {
  if (!body || typeof body !== 'object') throw new Error(`not a JSON chat body: ${String(body)}`);
  return body as RecordedChatBody;
}
