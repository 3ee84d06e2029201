/** The delivery is not a well-formed payload of the named system (HTTP 400). */
export class AlertPayloadInvalid extends Error {
  override readonly name = 'AlertPayloadInvalid' as const;
  readonly code = 'INVALID_PAYLOAD' as const;
}

/** Signature or shared secret missing or wrong (HTTP 401). */
export class AlertAuthFailed extends Error {
  override readonly name = 'AlertAuthFailed' as const;
  readonly code = 'UNAUTHORIZED' as const;
}

/** No such source route, a source that cannot be detected, or one not enabled (HTTP 404). */
export class AlertSourceUnknown extends Error {
  override readonly name = 'AlertSourceUnknown' as const;
  readonly code = 'UNKNOWN_SOURCE' as const;
}

/** Body over the bound (HTTP 413). */
export class AlertPayloadTooLarge extends Error {
  override readonly name = 'AlertPayloadTooLarge' as const;
  readonly code = 'PAYLOAD_TOO_LARGE' as const;
}

export type AlertError = AlertPayloadInvalid | AlertAuthFailed | AlertSourceUnknown | AlertPayloadTooLarge;

export const HTTP_STATUS: Record<AlertError['code'], number> = {
  INVALID_PAYLOAD: 400,
  UNAUTHORIZED: 401,
  UNKNOWN_SOURCE: 404,
  PAYLOAD_TOO_LARGE: 413,
};

export function isAlertError(error: unknown): error is AlertError {
  return (
    error instanceof AlertPayloadInvalid ||
    error instanceof AlertAuthFailed ||
    error instanceof AlertSourceUnknown ||
    error instanceof AlertPayloadTooLarge
  );
}
