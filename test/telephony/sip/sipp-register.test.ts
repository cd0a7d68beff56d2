/** REGISTER against SIPp as a digest-checking registrar (scenarios/uas-registrar.xml). */
import { RegistrationError, type RegistrationState, type SipUserAgent } from '../../../src/telephony/sip';
import { PEER_ADDRESS, type Sipp, startSipp } from './support/peers';
import { removeTempDirs, startUserAgent, tempDir, waitFor } from './support/ua';

jest.setTimeout(20_000);

let sipp: Sipp | undefined;
let ua: SipUserAgent | undefined;

afterEach(async () => {
  await ua?.close();
  await sipp?.stop();
  ua = undefined;
  sipp = undefined;
  await removeTempDirs();
});

test('registers with digest auth, refreshes before the granted expiry, unregisters on close', async () => {
  sipp = await startSipp({ scenario: 'uas-registrar.xml', workDir: await tempDir('register') });
  ua = await startUserAgent({ server: { host: PEER_ADDRESS, port: sipp.port }, registerExpiresSec: 120 });
  const states: RegistrationState[] = [];
  ua.on('registration', (state) => states.push(state));

  // The registrar grants 2 s (Contact expires=2) although we asked for 120.
  await expect(ua.register()).resolves.toBe(2);
  expect(ua.registrationState).toBe('registered');
  // The refresh comes before those 2 s are over, passes the digest check again, and gets 60 s.
  await waitFor(() => states.filter((s) => s === 'registered').length === 2, 'the registration refresh', 5000);

  await ua.close();
  ua = undefined;
  const exit = await sipp.exit;
  if (exit.code !== 0) throw new Error(`sipp exited with ${exit.code ?? exit.signal}:\n${exit.output.slice(-3000)}`);
  expect(states).toEqual(['registering', 'registered', 'registering', 'registered', 'unregistered']);
});

test('a wrong password is refused by the registrar: register() rejects with its 403', async () => {
  sipp = await startSipp({ scenario: 'uas-registrar.xml', workDir: await tempDir('register-bad') });
  ua = await startUserAgent({ server: { host: PEER_ADDRESS, port: sipp.port }, password: 'wrong-password' });

  const failure = ua.register();
  await expect(failure).rejects.toThrow(RegistrationError);
  await expect(failure).rejects.toMatchObject({ status: 403, message: 'REGISTER failed: 403 Forbidden' });
  expect(ua.registrationState).toBe('failed');
});
