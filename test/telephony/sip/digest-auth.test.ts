import {
  DigestAuthenticator,
  computeDigestResponse,
  parseAuthParams,
  parseDigestChallenge,
  pickChallenge,
} from '../../../src/telephony/sip/digest-auth';

describe('digest response (published examples)', () => {
  test('RFC 2617 3.5: MD5, qop=auth', () => {
    expect(
      computeDigestResponse({
        username: 'Mufasa',
        password: 'Circle Of Life',
        realm: 'testrealm@host.com',
        nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
        method: 'GET',
        uri: '/dir/index.html',
        qop: 'auth',
        nc: '00000001',
        cnonce: '0a4f113b',
      }),
    ).toBe('6629fae49393a05397450978507c4ef1');
  });

  const rfc7616 = {
    username: 'Mufasa',
    password: 'Circle of Life',
    realm: 'http-auth@example.org',
    nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
    method: 'GET',
    uri: '/dir/index.html',
    qop: 'auth' as const,
    nc: '00000001',
    cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  };

  test('RFC 7616 3.9.1: MD5 and SHA-256 (RFC 8760 for SIP)', () => {
    expect(computeDigestResponse({ ...rfc7616, algorithm: 'MD5' })).toBe('8ca523f5e9506fed4657c9700eebdbec');
    expect(computeDigestResponse({ ...rfc7616, algorithm: 'SHA-256' })).toBe(
      '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
    );
  });

  test('a wrong password gives another response', () => {
    expect(computeDigestResponse({ ...rfc7616, password: 'circle of life' })).not.toBe('8ca523f5e9506fed4657c9700eebdbec');
  });
});

describe('challenges', () => {
  test('parses quoted values with commas and escapes, case-insensitive names', () => {
    expect(parseAuthParams('realm="a, b", NONCE="x\\"y", qop="auth,auth-int", stale=TRUE')).toEqual({
      realm: 'a, b',
      nonce: 'x"y',
      qop: 'auth,auth-int',
      stale: 'TRUE',
    });
    expect(parseDigestChallenge('Digest realm="sip.zadarma.com", nonce="abc", qop="auth,auth-int", stale=true, opaque="o"')).toEqual({
      realm: 'sip.zadarma.com',
      nonce: 'abc',
      opaque: 'o',
      algorithm: 'MD5',
      qop: ['auth', 'auth-int'],
      stale: true,
    });
  });

  test('skips schemes and algorithms we cannot answer', () => {
    expect(parseDigestChallenge('Basic realm="x"')).toBeUndefined();
    expect(parseDigestChallenge('Digest realm="x", nonce="n", algorithm=AKAv1-MD5')).toBeUndefined();
    expect(pickChallenge(['Digest realm="x", nonce="n", algorithm=SHA-512-256', 'Digest realm="x", nonce="m"'])?.nonce).toBe('m');
  });
});

describe('DigestAuthenticator', () => {
  test('builds an Authorization value whose response checks out, and counts nc per nonce', () => {
    const auth = new DigestAuthenticator({ username: '123456-100', password: 'pw' }, () => 'c0ffee');
    const challenge = parseDigestChallenge('Digest realm="sip.zadarma.com", nonce="n1", qop="auth", opaque="op"');
    if (!challenge) throw new Error('challenge did not parse');
    const first = auth.authorize(challenge, 'REGISTER', 'sip:sip.zadarma.com');
    const params = parseAuthParams(first.replace(/^Digest /, ''));
    expect(params).toMatchObject({ username: '123456-100', realm: 'sip.zadarma.com', nonce: 'n1', uri: 'sip:sip.zadarma.com', cnonce: 'c0ffee', qop: 'auth', nc: '00000001', opaque: 'op', algorithm: 'MD5' });
    expect(params.response).toBe(
      computeDigestResponse({ username: '123456-100', password: 'pw', realm: 'sip.zadarma.com', nonce: 'n1', method: 'REGISTER', uri: 'sip:sip.zadarma.com', qop: 'auth', nc: '00000001', cnonce: 'c0ffee' }),
    );
    expect(parseAuthParams(auth.authorize(challenge, 'REGISTER', 'sip:sip.zadarma.com')).nc).toBe('00000002');
  });

  test('RFC 2069 challenge (no qop): no cnonce/nc in the answer', () => {
    const auth = new DigestAuthenticator({ username: 'u', password: 'p' });
    const challenge = parseDigestChallenge('Digest realm="r", nonce="n"');
    if (!challenge) throw new Error('challenge did not parse');
    const value = auth.authorize(challenge, 'INVITE', 'sip:1@r');
    expect(value).not.toMatch(/cnonce|nc=|qop/);
    expect(parseAuthParams(value).response).toBe(
      computeDigestResponse({ username: 'u', password: 'p', realm: 'r', nonce: 'n', method: 'INVITE', uri: 'sip:1@r' }),
    );
  });
});
