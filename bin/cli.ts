import '../functions/local/polyfills';
import { COMMANDS } from './commands/index';
import { processIo, type CommandIo } from './framework/command';
import { EXIT, EXIT_CODES_HELP } from './framework/exit-codes';
import { runCommand } from './framework/run-command';

/**
 * `eks-reflexion <command> [options]`. The commands are listed in
 * bin/commands/index.ts; bin/framework/ parses their flags (commander) and
 * maps errors to the exit codes of bin/framework/exit-codes.ts.
 */
function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `Usage: eks-reflexion <command> [options]\n\nCommands:\n${lines.join('\n')}\n\n'eks-reflexion <command> --help' for a command's options.\n\n${EXIT_CODES_HELP}`;
}

export async function main(argv: string[], io: CommandIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    if (name === 'help' && rest[0] !== undefined && COMMANDS[rest[0]]) return main([rest[0], '--help'], io);
    (name === undefined ? io.stderr : io.stdout)(`${usage()}\n`);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    io.stderr(`eks-reflexion: unknown command '${name}'\n\n${usage()}\n`);
    return EXIT.usage;
  }
  const { command } = await entry.load();
  return runCommand(name, entry.summary, command, rest, io);
}
