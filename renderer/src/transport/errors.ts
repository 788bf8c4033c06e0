import type { ApiErrorPayload, ErrorCode } from 'shared/contract';

/**
 * A failed API call, whatever the transport: `code` for the program (tests, retry
 * logic), `message` written for a person.
 */
export class ApiCallError extends Error {
  readonly code: ErrorCode;
  readonly method: string;

  constructor(method: string, error: ApiErrorPayload) {
    super(error.message);
    this.name = 'ApiCallError';
    this.code = error.code;
    this.method = method;
  }
}
