import { generateKeyPairSync, verify } from 'node:crypto';
import { VoximplantManagementApi, VoximplantApiError } from '../../../src/telephony/voximplant/management-api';
import { VoximplantTokenSource } from '../../../src/telephony/voximplant/service-account';
import { translateVoximplantWebhook } from '../../../src/telephony/voximplant/voximplant-events';

const CALL = '3f1c9a52-7b4e-4d2a-9c61-0a8b7e6d5c4b';

describe('Voximplant call events -> unified events', () => {
  it.each([
    [{ event: 'Ringing' }, 'ringing'],
    [{ event: 'Connected' }, 'answered'],
    [{ event: 'Disconnected' }, 'hangup'],
    [{ event: 'Failed', code: 486, reason: 'Busy Here' }, 'busy'],
    [{ event: 'Failed', code: 603, reason: 'Decline' }, 'busy'],
    [{ event: 'Failed', code: 480, reason: 'Temporarily Unavailable' }, 'no_answer'],
    [{ event: 'Failed', code: 408, reason: 'Request Timeout' }, 'no_answer'],
    [{ event: 'Failed', code: 487, reason: 'Request Terminated' }, 'no_answer'],
    [{ event: 'RingTimeout' }, 'no_answer'],
    [{ event: 'Failed', code: 404, reason: 'Not Found' }, 'error'],
    [{ event: 'Failed', code: 402, reason: 'Payment Required' }, 'error'],
    [{ event: 'ScenarioError', reason: 'session lookup failed' }, 'error'],
  ] as const)('%j -> %s', (body, expected) => {
    const event = translateVoximplantWebhook({ call_id: CALL, seq: 3, ...body });
    expect(event.event).toBe(expected);
    expect(event.event_id).toBe(`vox-${CALL}-3`);
    if ('code' in body && expected === 'error') expect(event.reason).toBe(`voximplant ${body.code} ${body.reason}`);
  });
});

describe('Management API authentication', () => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const account = { account_id: 1234, key_id: 'key-1', private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };

  it('signs an RS256 JWT with kid = key id, iss = account id, iat slightly in the past, exp within an hour', () => {
    const now = 1_800_000_000_000;
    const token = new VoximplantTokenSource(account, () => now).token();
    const [h, c, s] = token.split('.');
    expect(JSON.parse(Buffer.from(h!, 'base64url').toString())).toEqual({ alg: 'RS256', typ: 'JWT', kid: 'key-1' });
    const claims = JSON.parse(Buffer.from(c!, 'base64url').toString());
    expect(claims.iss).toBe(1234);
    expect(claims.iat).toBe(now / 1000 - 5);
    expect(claims.exp - claims.iat).toBeLessThanOrEqual(3600);
    expect(verify('RSA-SHA256', Buffer.from(`${h}.${c}`), publicKey, Buffer.from(s!, 'base64url'))).toBe(true);
  });

  it('refuses custom data over 200 bytes before sending anything', async () => {
    const api = new VoximplantManagementApi({ apiUrl: 'http://127.0.0.1:9', account });
    const err = await api.startScenarios({ ruleId: 1, scriptCustomData: 'x'.repeat(201) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VoximplantApiError);
    expect((err as VoximplantApiError).retryable).toBe(false);
  });
});
