#!/usr/bin/env node
// Entry of the `eks-reflexion` CLI. Runs the bundle bin/build-cli.mjs made of
// the TypeScript sources (npm's prepare step builds it; after a source file
// changes, the first run rebuilds it in about a second), so a command starts
// without transpiling TypeScript.
import { buildCli, builtEntry } from './build-cli.mjs';

// This machine kind runs Node 20; the SDK's notice that it will need Node 22
// from 2027 would open every command's output. Lambda runs Node 24.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// Output piped into a command that stops reading (| head) ends the CLI quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

const entry = builtEntry() ?? (await buildCli());
const { main } = await import(entry);
process.exitCode = await main(process.argv.slice(2));
