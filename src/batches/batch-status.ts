import { LookupStatus, PENDING_STATUSES } from '../lookups/lookup-status.ts';
import { BATCH_MEDIA_TYPES } from '../resources/batch-media-types.ts';

/** The states of a batch (batches.status): the column type is derived from this object. */
export const BatchStatus = {
  /** Rows are being read and stored, then their lookups created. */
  uploading: 'uploading',
  /** Every row is stored and has its lookup; some lookups are not answered yet. */
  processing: 'processing',
  /** Every row's lookup is answered (or the row has none). */
  completed: 'completed',
} as const;
export type BatchStatus = (typeof BatchStatus)[keyof typeof BatchStatus];

/** The formats of a batch upload (batches.format): one per media type the API takes. */
export type BatchFormat = keyof typeof BATCH_MEDIA_TYPES;

export { BATCH_MEDIA_TYPES };

/** The upload format a Content-Type names (parameters such as charset ignored), or null. */
export function batchFormatOf(contentType: string | undefined): BatchFormat | null {
  const essence = (contentType ?? '').split(';')[0].trim().toLowerCase();
  for (const [format, type] of Object.entries(BATCH_MEDIA_TYPES)) {
    if (essence === type) return format as BatchFormat;
  }
  return null;
}

/**
 * The status of one batch row: its lookup's, or `invalid` (the row has no valid code) or
 * `refused` (credit ran out while the batch's lookups were being created).
 */
export type RowStatus = LookupStatus | 'invalid' | 'refused';

export const ROW_STATUSES = [...Object.values(LookupStatus), 'invalid', 'refused'] as const satisfies readonly RowStatus[];

export const PENDING_ROW_STATUSES: readonly RowStatus[] = PENDING_STATUSES;

/** The error of a row refused for credit (results show it in the error column). */
export const REFUSED_ROW_ERROR = 'credito insufficiente';
