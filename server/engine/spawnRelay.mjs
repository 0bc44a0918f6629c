// Netloom spawn relay: a small long-lived child of the server that starts short-lived commands for it
// (classroom mode: 30 worlds' pings, ip and nft reads). A spawn blocks its caller's thread until the
// child has exec'd, and forking costs in proportion to the parent's memory: done here, in a ~40 MB process
// with nothing else to do, the server's event loop stays free for every other student (bench/classroom.ts
// --prof: spawns were ~40 % of the server's main thread while a class started).
//
// Protocol: newline-delimited JSON over stdin/stdout. Request {id, argv:[…], stdin?, timeoutMs}; reply
// {id, code, stdout, stderr}: spawnArgv.mjs, the same function the server uses (argv only, never a
// shell; own process group per command, SIGKILL of that group after timeoutMs, LC_ALL=C). On EOF of stdin
// (the server ended, however it ended) every command still running is killed and the relay exits.
import { createInterface } from 'node:readline';
import { killGroup, SPAWN_FAILED, spawnArgv } from './spawnArgv.mjs';

/** The commands still running (killed when the server goes). */
const running = new Set();
const reply = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);

function run({ id, argv, stdin, timeoutMs }) {
  if (!Array.isArray(argv) || !argv.every((a) => typeof a === 'string')) {
    reply({ id, code: SPAWN_FAILED, stdout: '', stderr: 'bad argv' });
    return;
  }
  void spawnArgv(argv, { stdin: typeof stdin === 'string' ? stdin : '', timeoutMs }, running).then((r) =>
    reply({ id, ...r }),
  );
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
