/**
 * Structured logging (Powertools Logger in Lambda, a console logger locally).
 * Never pass tokens, secrets or raw payloads at INFO; payloads only at DEBUG.
 */
export interface Logger {
  debug(message: string, attributes?: Record<string, unknown>): void;
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
