import {
  SipTrunkConfigSchema,
  formatDialNumber,
  parseSipTrunkConfig,
  sipUserAgentOptionsFromConfig,
} from '../../../src/telephony/sip';
import { silentLogger } from '../../../src/telephony/sip/logger';

const zadarmaJson =
  '{"preset":"zadarma","username":"123456-100","password":"pw","callerId":"+74950000000","localAddress":"0.0.0.0","publicAddress":"203.0.113.5","rtpPortMin":20000,"rtpPortMax":20100}';

test('zadarma: its server, registration, A-law first, number as digits', () => {
  const options = sipUserAgentOptionsFromConfig(parseSipTrunkConfig(zadarmaJson), silentLogger);
  expect(options).toMatchObject({
    server: { host: 'sip.zadarma.com', port: 5060 },
    domain: 'sip.zadarma.com',
    username: '123456-100',
    password: 'pw',
    callerId: '+74950000000',
    register: true,
    registerExpiresSec: 300,
    localAddress: '0.0.0.0',
    localPort: 0,
    publicAddress: '203.0.113.5',
    rtpPortRange: { min: 20_000, max: 20_100 },
    codecs: ['PCMA', 'PCMU'],
    rtpKeepAlive: true,
    natKeepAliveSec: 25,
  });
  expect(options.formatNumber?.('+7 (999) 123-45-67')).toBe('79991234567');
});

test('novofon: like zadarma on sip.novofon.ru', () => {
  const options = sipUserAgentOptionsFromConfig(parseSipTrunkConfig({ preset: 'novofon', username: '123456', password: 'pw' }), silentLogger);
  expect(options).toMatchObject({ server: { host: 'sip.novofon.ru', port: 5060 }, domain: 'sip.novofon.ru', register: true });
});

test('mango: host and domain from vpbx, user part of user@vpbx... as username', () => {
  for (const vpbx of ['400123456', 'vpbx400123456', 'vpbx400123456.mangosip.ru']) {
    const config = parseSipTrunkConfig({ preset: 'mango', vpbx, username: 'bot@vpbx400123456.mangosip.ru', password: 'pw' });
    expect(sipUserAgentOptionsFromConfig(config, silentLogger)).toMatchObject({
      server: { host: 'vpbx400123456.mangosip.ru', port: 5060 },
      domain: 'vpbx400123456.mangosip.ru',
      username: 'bot',
      register: true,
    });
  }
  expect(() => parseSipTrunkConfig({ preset: 'mango', username: 'bot', password: 'pw' })).toThrow(/vpbx: required for preset mango/);
  expect(() => parseSipTrunkConfig({ preset: 'mango', vpbx: '400123456', username: 'bot@vpbx999.mangosip.ru', password: 'pw' })).toThrow(
    /username: domain vpbx999.mangosip.ru does not match vpbx vpbx400123456.mangosip.ru/,
  );
});

test('asterisk: host required, registration off unless asked, number kept as E.164', () => {
  expect(() => parseSipTrunkConfig({ preset: 'asterisk', username: 'bot', password: 'pw' })).toThrow(/host: required for preset asterisk/);
  const options = sipUserAgentOptionsFromConfig(
    parseSipTrunkConfig({ preset: 'asterisk', host: 'pbx.local', port: 5080, username: 'bot', password: 'pw' }),
    silentLogger,
  );
  expect(options).toMatchObject({ server: { host: 'pbx.local', port: 5080 }, domain: 'pbx.local', register: false, codecs: ['PCMU', 'PCMA'] });
  expect(options.formatNumber?.('+79991234567')).toBe('+79991234567');
  const registering = parseSipTrunkConfig({ preset: 'asterisk', host: '10.0.0.5', username: 'bot', password: 'pw', register: true });
  expect(sipUserAgentOptionsFromConfig(registering, silentLogger).register).toBe(true);
});

test('generic: everything explicit', () => {
  const config = parseSipTrunkConfig({
    preset: 'generic',
    host: 'sip.example.net',
    domain: 'example.net',
    username: 'u',
    authUsername: 'auth-u',
    password: 'pw',
    codecs: ['PCMU'],
    numberFormat: 'national8',
    register: false,
  });
  const options = sipUserAgentOptionsFromConfig(config, silentLogger);
  expect(options).toMatchObject({ server: { host: 'sip.example.net', port: 5060 }, domain: 'example.net', authUsername: 'auth-u', codecs: ['PCMU'], register: false });
  expect(options.formatNumber?.('+79991234567')).toBe('89991234567');
});

test('bad configs are refused with every problem named', () => {
  expect(() => parseSipTrunkConfig('{not json')).toThrow('SIP trunk config is not valid JSON');
  expect(() =>
    parseSipTrunkConfig({ preset: 'zadarma', username: '', password: 'pw', publicAddress: 'my-host', rtpPortMin: 30000, rtpPortMax: 20000, extra: 1 }),
  ).toThrow(
    'invalid SIP trunk config: username: Too small: expected string to have >=1 characters; publicAddress: must be an IPv4 or IPv6 address; ' +
      '(root): Unrecognized key: "extra"; rtpPortMax: must not be below rtpPortMin',
  );
  expect(SipTrunkConfigSchema.safeParse({ preset: 'voximplant', username: 'u', password: 'p' }).success).toBe(false);
});

test('number formats', () => {
  expect(formatDialNumber('+79991234567', 'e164')).toBe('+79991234567');
  expect(formatDialNumber('+79991234567', 'digits')).toBe('79991234567');
  expect(formatDialNumber('+79991234567', 'national8')).toBe('89991234567');
});
