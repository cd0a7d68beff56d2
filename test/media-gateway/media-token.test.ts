import { createMediaToken, verifyMediaToken } from '../../src/media-gateway/media-token';

const CALL = '2f1e0c55-1b0a-4c3e-9a57-5d0c2b9a1e11';
const OTHER = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const SECRET = 'media-secret-0123456789';

test('a token opens its own call until it expires', () => {
  const now = Date.parse('2026-11-25T10:00:00Z');
  const token = createMediaToken(CALL, SECRET, 60, now);
  expect(verifyMediaToken(token, CALL, SECRET, now + 59_000)).toEqual({ ok: true });
  expect(verifyMediaToken(token, CALL, SECRET, now + 61_000)).toEqual({ ok: false, reason: 'expired' });
  expect(verifyMediaToken(token, OTHER, SECRET, now)).toEqual({ ok: false, reason: 'wrong_call' });
});

test('forged, tampered or malformed tokens are refused', () => {
  const token = createMediaToken(CALL, SECRET, 60);
  expect(verifyMediaToken(createMediaToken(CALL, 'another-secret-000', 60), CALL, SECRET).ok).toBe(false);
  const [payload, signature] = token.split('.');
  const forgedPayload = Buffer.from(JSON.stringify({ c: OTHER, e: 9_999_999_999 })).toString('base64url');
  expect(verifyMediaToken(`${forgedPayload}.${signature}`, OTHER, SECRET)).toEqual({ ok: false, reason: 'bad_signature' });
  expect(verifyMediaToken(`${payload}.`, CALL, SECRET)).toEqual({ ok: false, reason: 'malformed' });
  expect(verifyMediaToken('a.b.c', CALL, SECRET)).toEqual({ ok: false, reason: 'malformed' });
  expect(verifyMediaToken(undefined, CALL, SECRET)).toEqual({ ok: false, reason: 'missing' });
});
