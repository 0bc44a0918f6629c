// Netloom spawn relay: a small long-lived child of the server that starts short-lived commands for it
// (classroom mode: 30 worlds' pings, ip and nft reads). A spawn blocks its caller's thread until the
// child has exec'd, and forking costs in proportion to the parent's memory: done here, in a ~40 MB process
// with nothing else to do, the server's event loop stays free for every other student (bench/classroom.ts
// --prof: spawns were ~40 % of the server's main thread while a class started).
//
// Protocol: newline-delimited JSON over stdin/stdout. Request {id, argv:[…], stdin?, timeoutMs}; reply
// {id, code, stdout, stderr, timedOut?}. Same semantics as runner.ts's spawnArgv: argv only (never a
// shell), own process group per command, SIGKILL of that group after timeoutMs, LC_ALL=C. On EOF of stdin
// (the server ended, however it ended) every command still running is killed and the relay exits.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const SPAWN_FAILED = 127;
const TIMED_OUT = 124;
const running = new Set();
const reply = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const env = { ...process.env, LC_ALL: 'C' };

function run({ id, argv, stdin, timeoutMs }) {
  const [file, ...args] = Array.isArray(argv) ? argv : [];
  if (typeof file !== 'string' || !args.every((a) => typeof a === 'string')) {
    reply({ id, code: SPAWN_FAILED, stdout: '', stderr: 'bad argv' });
    return;
  }
  const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true, env });
  running.add(child);
  const out = [];
  const err = [];
  let timedOut = false;
  let settled = false;
  const finish = (r) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    running.delete(child);
    reply({ id, ...r });
  };
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child);
  }, timeoutMs);
  child.stdout.on('data', (b) => out.push(b));
  child.stderr.on('data', (b) => err.push(b));
  child.on('error', (e) => finish({ code: SPAWN_FAILED, stdout: '', stderr: `${file}: ${e.message}` }));
  child.on('close', (code, signal) => {
    const stderr = Buffer.concat(err).toString('utf8');
    finish({
      code: timedOut ? TIMED_OUT : (code ?? (signal ? 128 : 1)),
      stdout: Buffer.concat(out).toString('utf8'),
      stderr: timedOut ? `${stderr}timed out after ${timeoutMs} ms` : stderr,
    });
  });
  child.stdin.on('error', () => {});
  child.stdin.end(typeof stdin === 'string' ? stdin : '');
}

function killGroup(child) {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL'); // the group we made for this command, never anything by name
  } catch {
    // already gone
  }
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  let req;
  try {
    req = JSON.parse(line);
  } catch {
    return;
  }
  run(req);
});
lines.on('close', () => {
  for (const c of running) killGroup(c);
  process.exit(0);
});
reply({ ready: true });
