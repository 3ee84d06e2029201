import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { Logger } from '../ports/logger';

/** The Logger port on Powertools: structured JSON with the service name and cold-start flag. */
export function powertoolsLogger(serviceName: string, level: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR'): Logger {
  const logger = new PowertoolsLogger({ serviceName, logLevel: level });
  return {
    debug: (message, attributes) => logger.debug(message, attributes ?? {}),
    info: (message, attributes) => logger.info(message, attributes ?? {}),
    warn: (message, attributes) => logger.warn(message, attributes ?? {}),
    error: (message, attributes) => logger.error(message, attributes ?? {}),
  };
}
