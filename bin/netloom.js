#!/usr/bin/env node
// Entry point of the `netloom` command: runs the compiled server/CLI (dist/server/netloom.mjs, built by
// scripts/build-server.mjs at install and rebuilt here first whenever a source is newer than the build).
import { serverEntry } from '../scripts/build-server.mjs';

const { main } = await import(await serverEntry());
process.exitCode = await main(process.argv.slice(2));
