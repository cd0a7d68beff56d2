import type { CallSession } from '../../src/domain/call-session';
import { generateServiceAccount, newSpreadsheetId, startFakeGoogle, type FakeGoogle } from '../fakes/fake-google';
import { startCluster, type Cluster } from '../support/process-cluster';
import { eventually } from '../support/test-stack';

// The general worker as its own process, writing results to Google Sheets (the real client against
// the local fake Sheets API). The network holds its append; the worker is killed meanwhile.
const INTERESTED = '+79990000001';
const SHEET = newSpreadsheetId();

let c: Cluster;
let google: FakeGoogle;
beforeAll(async () => {
  google = await startFakeGoogle();
  const account = generateServiceAccount();
  google.registerServiceAccount(account);
  google.createSpreadsheet(SHEET, ['Calls'], { sharedWith: [account.client_email] });
  c = await startCluster({
    gateways: 0,
    media: 'text',
    env: {
      GOOGLE_SHEETS_SPREADSHEET_ID: SHEET,
      GOOGLE_CREDENTIALS_JSON: JSON.stringify(account),
      GOOGLE_SHEETS_API_URL: `${google.url}/`,
      GOOGLE_OAUTH_TOKEN_URL: google.tokenUrl,
    },
  });
}, 180_000);
afterAll(async () => {
  await c?.stop();
  await google?.close();
});

test('the worker killed during the results write: another worker writes the row within 30 s, exactly once', async () => {
  google.failNext({ method: 'POST', pathIncludes: ':append' }, 'hold');
  const callId = await c.placeCall(INTERESTED);
  await eventually(() => google.heldRequests.length > 0, 60_000);
  const killedAt = Date.now();
  c.worker.child.kill('SIGKILL');
  await c.startWorker();
  await eventually(() => google.rows(SHEET, 'Calls').some((row) => row.includes(callId)), 30_000);
  expect(Date.now() - killedAt).toBeLessThan(30_000);
  const session = (await c.client.workflow.getHandle(callId).result()) as CallSession;
  expect(session).toMatchObject({ status: 'completed', final_disposition: 'interested' });
  expect(google.rows(SHEET, 'Calls').filter((row) => row.includes(callId))).toHaveLength(1);
}, 180_000);
