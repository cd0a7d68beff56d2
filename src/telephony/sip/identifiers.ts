/** Fresh protocol identifiers: branch (RFC 3261 8.1.1.7 magic cookie), tags, Call-ID, SDP session id. */
import { randomBytes, randomInt } from 'node:crypto';

export const newBranch = (): string => `z9hG4bK${randomBytes(10).toString('hex')}`;
export const newTag = (): string => randomBytes(6).toString('hex');
export const newCallId = (host: string): string => `${randomBytes(12).toString('hex')}@${host}`;
export const newSessionId = (): string => String(randomInt(1, 2 ** 47));
