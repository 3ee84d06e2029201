#!/usr/bin/env node
// Entry of the `eks-reflexion` CLI: loads the TypeScript sources through tsx,
// so a checkout needs no build step (`npx eks-reflexion ...`).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./cli.ts');
process.exitCode = await main(process.argv.slice(2));
