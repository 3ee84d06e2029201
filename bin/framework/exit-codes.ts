/**
 * Exit codes, the same for every command (run, detect, invoke, ...), so a
 * script can tell "the cluster was not reachable" from "a remediation was
 * escalated to a human" from "I called it wrong".
 */
export const EXIT = {
  /** Every configured cluster was read and every incident ended as expected for the mode. */
  ok: 0,
  /** Anything else that went wrong (an action answered not-ok, an unexpected error). */
  failed: 1,
  /** Bad flags, arguments or input files: nothing was started. */
  usage: 2,
  /** A cluster (or the DynamoDB endpoint) could not be reached or refused our credentials. */
  unreachable: 3,
  /** At least one incident was escalated to a human (or its remediation failed). */
  escalated: 4,
  /** The data directory is in use by another run. */
  busy: 5,
  /** Stopped by SIGINT/SIGTERM (128 + SIGINT, as shells report it). */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Printed at the end of every command's --help, and copied into README's CLI section. */
export const EXIT_CODES_HELP = `Exit codes (the same for every command):
  0    ok: every cluster read, every incident ended as expected for the mode
  1    failed: an action answered not-ok, or an unexpected error
  2    usage error: bad flags, arguments or input files (nothing was started)
  3    unreachable: a cluster or the DynamoDB endpoint could not be reached or refused the credentials
  4    escalated: at least one incident was escalated to a human
  5    busy: the data directory is in use by another run
  130  interrupted (Ctrl-C / SIGTERM)`;
