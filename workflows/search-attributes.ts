import { defineSearchAttributeKey } from '@temporalio/common';

/**
 * Custom search attributes so ops can filter calls in the Temporal Web UI
 * (e.g. `CallStatus = "no_answer"`). Never put phone numbers here: search attributes are not encoded.
 */
export const CallStatusAttribute = defineSearchAttributeKey('CallStatus', 'KEYWORD');
export const CallDispositionAttribute = defineSearchAttributeKey('CallDisposition', 'KEYWORD');

/** For `temporal server start-dev --search-attribute` and `temporal operator search-attribute create`. */
export const CALL_SEARCH_ATTRIBUTES = { CallStatus: 'Keyword', CallDisposition: 'Keyword' } as const;
