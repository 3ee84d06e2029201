import { Command as Commander, CommanderError } from 'commander';
import type { CommandIo, CommandSpec } from './command';
import { UsageError } from './errors';
import { EXIT, EXIT_CODES_HELP } from './exit-codes';
import { exitCodeOfError } from './error-exit';

/**
 * Parses `argv` for one command of the registry with commander and runs it.
 * Help goes to stdout (exit 0); a commander parse error or a UsageError goes to
 * stderr naming the command, with a pointer to --help (exit 2); other errors
 * are mapped by exitCodeOfError (cluster unreachable, busy data dir, ...).
 */
export async function runCommand(name: string, summary: string, spec: CommandSpec<never>, argv: string[], io: CommandIo): Promise<number> {
  const program = new Commander('eks-reflexion')
    .exitOverride()
    .helpOption('-h, --help', 'show this help')
    .configureOutput({
      writeOut: (t) => io.stdout(t),
      writeErr: (t) => io.stderr(t),
      outputError: (t, write) => write(`eks-reflexion ${name}: ${t.replace(/^error: /, '')}`),
    });
  let code: number = EXIT.ok;
  let current = name;
  const build = (parent: Commander, cmdName: string, cmdSummary: string, s: CommandSpec<never>, path: string): void => {
    const cmd = parent.command(cmdName).summary(cmdSummary).description(s.description ?? cmdSummary);
    s.configure?.(cmd);
    cmd.addHelpText('after', `${s.helpAfter ? `\n${s.helpAfter}\n` : ''}\n${EXIT_CODES_HELP}`);
    // A parse error names the command it came from and says where the help is.
    cmd.showHelpAfterError(`(see '${path} --help')`);
    if (s.subcommands) {
      for (const [sub, { summary: subSummary, spec: subSpec }] of Object.entries(s.subcommands)) build(cmd, sub, subSummary, subSpec, `${path} ${sub}`);
    }
    const run = s.run;
    if (run) {
      cmd.action(async () => {
        current = path.replace(/^eks-reflexion /, '');
        code = await run({ opts: cmd.opts() as never, args: cmd.args, argv, io, name: path });
      });
    }
  };
  build(program, name, summary, spec, `eks-reflexion ${name}`);
  try {
    await program.parseAsync([name, ...argv], { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (error instanceof UsageError) {
      io.stderr(`eks-reflexion ${current}: ${error.message}\n(see 'eks-reflexion ${current} --help')\n`);
      return EXIT.usage;
    }
    const e = error as Error;
    io.stderr(`eks-reflexion ${current}: ${e.name}: ${e.message}\n`);
    return exitCodeOfError(error);
  }
}
