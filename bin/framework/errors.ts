/**
 * The CLI's one usage error: bad flags, arguments or files named on the
 * command line. The framework prints its message (naming the command) and
 * exits with EXIT.usage; nothing has been started when it is thrown.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError' as const;
}
