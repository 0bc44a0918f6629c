#!/usr/bin/env node
// Entry point of the `netloom` command: runs the TypeScript CLI through tsx (no build step for the server).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../server/cli.ts');
process.exitCode = await main(process.argv.slice(2));
