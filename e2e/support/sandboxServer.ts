/**
 * Playwright's web server: a fresh sandbox (private network + mount namespace) owned by this process, and the
 * real `netloom serve` — the compiled command, bin/netloom.js — attached to it. The holder's PID goes to
 * reports/e2e-sandbox-<port>.pid so that tests can change the sandbox by hand (`nsenter -t PID -n -m ip …`,
 * see hostShell.ts), as a user's scripts would on a host. The sandbox ends with this process (the holder
 * exits on EOF of its stdin); a signal to this process is passed on to the server, which shuts down first.
 */
import { spawn } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createSandbox } from '../../server/engine/sandbox';

const args = process.argv.slice(2);
const port = args[args.indexOf('--port') + 1] ?? 'default';
const pidFile = `reports/e2e-sandbox-${port}.pid`;
const bin = join(import.meta.dirname, '..', '..', 'bin', 'netloom.js');

const sandbox = await createSandbox();
await mkdir('reports', { recursive: true });
await writeFile(pidFile, `${sandbox.pid}\n`);
let code = 1;
try {
  const server = spawn(process.execPath, [bin, 'serve', ...args, '--attach-sandbox', String(sandbox.pid)], {
    stdio: 'inherit',
  });
  const forward = (signal: NodeJS.Signals) => () => {
    if (server.exitCode === null) server.kill(signal);
  };
  process.on('SIGINT', forward('SIGINT'));
  process.on('SIGTERM', forward('SIGTERM'));
  code = await new Promise<number>((resolve) => {
    server.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
    server.on('error', () => resolve(1));
  });
} finally {
  await rm(pidFile, { force: true });
  await sandbox.close();
}
process.exit(code);
