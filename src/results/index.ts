import type { AppConfig } from '../config/env';
import type { Logger } from '../logging/logger';
import { CsvResultsSink } from './csv-sink';
import { GoogleSheetsSink } from './google-sheets-sink';
import type { ResultsSink } from './results-sink';

export type { ResultsSink } from './results-sink';
export { CsvResultsSink, readCsvRows } from './csv-sink';
export { GoogleSheetsError, GoogleSheetsSink } from './google-sheets-sink';

/** Google Sheets when a spreadsheet and a service account are configured; the local CSV file otherwise. */
export function createResultsSink(config: AppConfig, logger: Logger): ResultsSink {
  const spreadsheetId = config.env.GOOGLE_SHEETS_SPREADSHEET_ID;
  if (config.googleServiceAccount && spreadsheetId) {
    logger.info(
      {
        results_sink: 'google_sheets',
        spreadsheet_id: spreadsheetId,
        sheet: config.env.GOOGLE_SHEETS_SHEET_NAME ?? '(first sheet)',
        service_account: config.googleServiceAccount.client_email,
      },
      'results go to Google Sheets',
    );
    return new GoogleSheetsSink({
      spreadsheetId,
      sheetName: config.env.GOOGLE_SHEETS_SHEET_NAME,
      credentials: config.googleServiceAccount,
      logger,
      ...(config.env.GOOGLE_SHEETS_API_URL ? { rootUrl: config.env.GOOGLE_SHEETS_API_URL } : {}),
      ...(config.env.GOOGLE_OAUTH_TOKEN_URL ? { tokenUrl: config.env.GOOGLE_OAUTH_TOKEN_URL } : {}),
    });
  }
  const path = config.env.RESULTS_CSV_PATH;
  logger.info({ results_sink: 'csv', path }, `Google Sheets is not configured: results go to the local file ${path}`);
  return new CsvResultsSink({ path, logger });
}
