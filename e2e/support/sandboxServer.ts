/**
 * Playwright's web server: a fresh sandbox (private network + mount namespace) owned by this process, and the
 * real `netloom serve` attached to it. The holder's PID goes to reports/e2e-sandbox-<port>.pid so that tests can
 * change the sandbox by hand (`nsenter -t PID -n -m ip …`, see hostShell.ts), as a user's scripts would on a
 * host. The sandbox ends with this process (the holder exits on EOF of its stdin).
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createSandbox } from '../../server/engine/sandbox';
import { serve } from '../../server/serve';

const args = process.argv.slice(2);
const port = args[args.indexOf('--port') + 1] ?? 'default';
const pidFile = `reports/e2e-sandbox-${port}.pid`;

const sandbox = await createSandbox();
await mkdir('reports', { recursive: true });
await writeFile(pidFile, `${sandbox.pid}\n`);
let code = 1;
try {
  code = await serve([...args, '--attach-sandbox', String(sandbox.pid)]);
} finally {
  await rm(pidFile, { force: true });
  await sandbox.close();
}
process.exit(code);
