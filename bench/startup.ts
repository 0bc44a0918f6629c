/**
 * `tsx bench/startup.ts`: how long the command itself takes (issue #14, the compiled server and CLI), inside
 * a sandbox: `netloom plan examples/router.yaml` from spawn to exit (the CLI observes the sandbox through
 * NETLOOM_SANDBOX_PID), and `netloom serve` from spawn to the first 200 from /healthz (default driver: auto).
 * Both run bin/netloom.js exactly as a user does; one warm-up run each (it would also rebuild a stale build),
 * then the median. Prints `bench topology=cli n=1 driver=… phase=plan|serve-start ms=…`.
 * NODE_EXTRA_CA_CERTS is left out of the children's environment: when set (this CI machine sets it for npm),
 * Node parses the whole certificate bundle before running anything, ~50 ms of CPU that is not Netloom's.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSandbox } from '../server/engine/sandbox';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'netloom.js');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export interface StartupFigures {
  planMs: number;
  serveStartMs: number;
  serveDriver: string;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Spawn to exit of `node bin/netloom.js ...args`, in ms; throws on a non-zero exit. */
function timeCommand(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (b: Buffer) => {
      err += b.toString('utf8');
    });
    p.on('error', reject);
    p.on('exit', (code) => {
      const ms = performance.now() - t0;
      if (code === 0) resolve(ms);
      else reject(new Error(`netloom ${args.join(' ')} exited ${code}: ${err.trim()}`));
    });
  });
}

/** GET /healthz: the status, or 0 when nothing listens yet (plain http: fetch's first use costs CPU). */
function healthz(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: '/healthz', agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
  });
}

/** Spawn of `netloom serve` to its first 200 on /healthz, in ms (then SIGTERM and wait for the exit). */
async function timeServeStart(sandboxPid: number, stateDir: string): Promise<{ ms: number; driver: string }> {
  const port = await freePort();
  const t0 = performance.now();
  const p = spawn(
    process.execPath,
    [BIN, 'serve', '--attach-sandbox', String(sandboxPid), '--port', String(port), '--token', 'bench-token-0123456789'],
    {
      cwd: ROOT,
      env: { ...process.env, NETLOOM_STATE_DIR: stateDir, NETLOOM_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  p.stdout.on('data', (b: Buffer) => {
    out += b.toString('utf8');
  });
  p.stderr.resume();
  const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
  try {
    for (;;) {
      if (p.exitCode !== null) throw new Error(`netloom serve exited ${p.exitCode} before answering`);
      if ((await healthz(port)) === 200) break;
      if (performance.now() - t0 > 30_000) throw new Error('netloom serve did not answer /healthz in 30 s');
      // Not a tighter loop: on two cores the poller would take CPU from the server it is timing.
      await new Promise((r) => setTimeout(r, 10));
    }
    const ms = performance.now() - t0;
    // The banner is printed after listen(): wait for it to read the driver.
    while (!/driver: (\S+)/.test(out) && p.exitCode === null) await new Promise((r) => setTimeout(r, 5));
    return { ms, driver: /driver: (\S+)/.exec(out)?.[1] ?? 'unknown' };
  } finally {
    if (p.exitCode === null) p.kill('SIGTERM');
    await exited;
  }
}

/** The environment of a user's shell: this process's, less what only this machine sets (see above). */
function userEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const { NODE_EXTRA_CA_CERTS: _, ...env } = process.env;
  return { ...env, ...extra };
}

export async function benchStartup(runs = 7): Promise<StartupFigures> {
  const sb = await createSandbox();
  const dir = await mkdtemp(join(tmpdir(), 'netloom-bench-startup-'));
  try {
    const env = userEnv({ NETLOOM_SANDBOX_PID: String(sb.pid), NETLOOM_STATE_DIR: join(dir, 'cli') });
    const plan = ['plan', 'examples/router.yaml'];
    await timeCommand(plan, env); // warm-up (page cache; rebuilds a stale build)
    const planMs: number[] = [];
    for (let i = 0; i < runs; i++) planMs.push(await timeCommand(plan, env));
    await timeServeStart(sb.pid, join(dir, 'serve')); // warm-up
    const serveMs: number[] = [];
    let driver = '';
    for (let i = 0; i < Math.max(3, Math.ceil(runs / 2)); i++) {
      const r = await timeServeStart(sb.pid, join(dir, 'serve'));
      serveMs.push(r.ms);
      driver = r.driver;
    }
    const out = { planMs: median(planMs), serveStartMs: median(serveMs), serveDriver: driver };
    console.log(`bench topology=cli n=1 driver=ip-batch phase=plan ms=${out.planMs.toFixed(1)}`);
    console.log(`bench topology=cli n=1 driver=${driver} phase=serve-start ms=${out.serveStartMs.toFixed(1)}`);
    return out;
  } finally {
    await rm(dir, { recursive: true, force: true });
    await sb.close();
  }
}

if (process.argv[1]?.endsWith('startup.ts')) await benchStartup();
