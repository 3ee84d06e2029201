#!/usr/bin/env node
// Entry of the `eks-reflexion` CLI: loads the TypeScript sources through tsx,
// so a checkout needs no build step (`npx eks-reflexion ...`).
import { register } from 'tsx/esm/api';

// This machine kind runs Node 20; the SDK's notice that it will need Node 22
// from 2027 would open every command's output. Lambda runs Node 24.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

register();
const { main } = await import('./cli.ts');
process.exitCode = await main(process.argv.slice(2));
