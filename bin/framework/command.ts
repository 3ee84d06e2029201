import type { Command as Commander } from 'commander';

/**
 * What a command module under bin/commands exports as `command`. The
 * framework (bin/framework/run-command.ts) turns it into a commander command:
 * it parses and checks the flags, prints --help (with the exit codes) and
 * usage errors, and maps errors to exit codes; the module only declares its
 * options and does its work.
 *
 * Adding a command = one file bin/commands/NAME.ts exporting
 * `export const command = defineCommand<Options>({ configure, run })`, plus
 * one line in bin/commands/index.ts (its name, one-line summary and loader).
 */
export interface CommandIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
}

export interface CommandContext<O> {
  /** commander's parsed options (camelCase: `--data-dir` → `dataDir`). */
  opts: O;
  /** Positional arguments, in the order `configure` declared them. */
  args: string[];
  /** The command line after the command's name, as typed (for reports that quote it). */
  argv: string[];
  io: CommandIo;
  /** Full name for messages, e.g. `eks-reflexion memory episodes`. */
  name: string;
}

export interface CommandSpec<O = Record<string, unknown>> {
  /** Paragraph printed under the usage line of --help. */
  description?: string;
  /** Declares options and positional arguments (`cmd.option(...)`, `cmd.argument(...)`). */
  configure?(cmd: Commander): void;
  /** Text printed after the options in --help (examples, notes). */
  helpAfter?: string;
  /** Does the work; returns the exit code (bin/framework/exit-codes.ts). Throws UsageError for bad input. */
  run?(ctx: CommandContext<O>): Promise<number>;
  /** Sub-commands (`sim serve`, `memory episodes`), each a spec of its own. */
  subcommands?: Record<string, { summary: string; spec: CommandSpec<never> }>;
}

/** Identity, for type inference of `O` in a command module. */
export function defineCommand<O>(spec: CommandSpec<O>): CommandSpec<O> {
  return spec;
}

/** The io of a real process. */
export const processIo: CommandIo = {
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
  env: process.env,
};

/** commander collector for a repeatable option: `--namespace a --namespace b` → ['a', 'b']. */
export const repeatable = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];
