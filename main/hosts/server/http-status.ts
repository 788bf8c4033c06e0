import type { ErrorCode } from '../../../shared/contract';

/**
 * The HTTP status for a failed call. The body is always the same Envelope that the
 * Electron transport returns; the status is for HTTP tooling and logs, and keeps the
 * rule simple: the caller's fault is 4xx (nothing changed), ours is 5xx.
 */
const STATUS: Record<ErrorCode, number> = {
  invalid_params: 400,
  unknown_method: 400,
  no_project: 409,
  not_found: 404,
  conflict: 409,
  not_empty: 409,
  busy: 409,
  cancelled: 409,
  bad_image: 422,
  bad_model: 422,
  no_trained_model: 409,
  read_only: 409,
  io: 500,
  no_runtime: 503,
  disk_full: 507,
  internal: 500,
};

export function httpStatusFor(code: ErrorCode): number {
  return STATUS[code] ?? 500;
}
