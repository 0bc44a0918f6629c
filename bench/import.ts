/**
 * `npm run bench:import` (issue #13 item 1): the bounded document reader (server/util/documents.ts).
 *  1. In this process: a 1000-namespace YAML lab (inline, and through the worker), the 180k-line `kN: v`
 *     bomb (1.9 MB), a 950k-element flow sequence, a billion-laughs alias bomb, 100k-deep JSON nesting, and a
 *     12k-key mapping (passes the pre-scan, refused by the worker's exact count): parse/refusal time each.
 *  2. The compiled server (`bin/netloom.js serve --attach-sandbox`, in a sandbox): each bomb POSTed to
 *     /api/labs/import — its answer time and status — while /healthz is polled every 10 ms; the worst
 *     /healthz latency observed. Targets: every answer < 1000 ms, /healthz never > 100 ms.
 * Prints `bench topology=import n=1 driver=- phase=<case> ms=…` lines and a PASS/MISS summary.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createSandbox } from '../server/engine/sandbox';
import { parseBounded } from '../server/util/documents';
import { closeDocumentWorkers, parseDocumentTextAsync } from '../server/util/documentsAsync';
import { starLab } from './scale';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'netloom.js');
const TOKEN = 'bench-token-0123456789abcdef';
const ANSWER_LIMIT_MS = 1000;
const HEALTHZ_LIMIT_MS = 100;

export function bombs(): { name: string; text: string; format: 'yaml' | 'json' }[] {
  const laughs = ['a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let i = 1; i < 9; i++) {
    const [p, c] = [String.fromCharCode(96 + i), String.fromCharCode(97 + i)];
    laughs.push(`${c}: &${c} [${Array(9).fill(`*${p}`).join(', ')}]`);
  }
  return [
    { name: 'key-bomb-180k', text: Array.from({ length: 180_000 }, (_, i) => `k${i}: v`).join('\n'), format: 'yaml' },
    { name: 'flow-seq-950k', text: `[${Array(950_000).fill('1').join(',')}]`, format: 'yaml' },
    { name: 'billion-laughs', text: laughs.join('\n'), format: 'yaml' },
    { name: 'json-deep-100k', text: `${'['.repeat(100_000)}${']'.repeat(100_000)}`, format: 'json' },
    { name: 'keys-12k', text: Array.from({ length: 12_000 }, (_, i) => `k${i}: v`).join('\n'), format: 'yaml' },
  ];
}

const line = (phase: string, ms: number, extra = '') =>
  console.log(`bench topology=import n=1 driver=- phase=${phase} ms=${ms.toFixed(1)}${extra}`);

async function timed<T>(f: () => T | Promise<T>): Promise<[number, T | Error]> {
  const t0 = performance.now();
  try {
    const v = await f();
    return [performance.now() - t0, v];
  } catch (e) {
    return [performance.now() - t0, e as Error];
  }
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

function http(port: number, method: string, path: string, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent: false,
        headers: {
          host: `127.0.0.1:${port}`,
          authorization: `Bearer ${TOKEN}`,
          ...(body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (b: Buffer) => {
          text += b.toString('utf8');
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    // A hung server must not hang the bench: 20 s without an answer counts as no answer (status 0).
    req.setTimeout(20_000, () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, text: '' }));
    req.end(body);
  });
}

export interface ImportFigures {
  worstAnswerMs: number;
  worstHealthzMs: number;
}

export async function benchImport(): Promise<ImportFigures> {
  console.log('\n  Bounded documents (issue #13 item 1): parse or refusal time in this process');
  const lab = stringify(starLab(1000));
  for (let i = 0; i < 2; i++) parseBounded(lab); // warm-up (JIT)
  const [inline] = await timed(() => parseBounded(lab));
  line('lab-1000ns-yaml-inline', inline, ` bytes=${lab.length}`);
  await parseDocumentTextAsync(lab, { forceWorker: true, deadlineMs: 30_000 }); // starts the worker
  const [worker] = await timed(() => parseDocumentTextAsync(lab, { forceWorker: true, deadlineMs: 30_000 }));
  line('lab-1000ns-yaml-worker', worker);
  for (const b of bombs()) {
    const [ms, r] = await timed(() => parseDocumentTextAsync(b.text, { format: b.format }));
    line(b.name, ms, ` bytes=${b.text.length} answer="${r instanceof Error ? r.message.slice(0, 90) : 'accepted'}"`);
  }
  await closeDocumentWorkers();

  console.log('\n  The compiled server: each bomb POSTed to /api/labs/import while /healthz is polled every 10 ms');
  const sb = await createSandbox();
  const dir = await mkdtemp(join(tmpdir(), 'netloom-bench-import-'));
  const port = await freePort();
  const p = spawn(
    process.execPath,
    [BIN, 'serve', '--attach-sandbox', String(sb.pid), '--port', String(port), '--token', TOKEN],
    { cwd: ROOT, env: { ...process.env, NETLOOM_STATE_DIR: dir, NETLOOM_LOG_LEVEL: 'warn' }, stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
  let worstAnswerMs = 0;
  let worstHealthzMs = 0;
  try {
    const t0 = performance.now();
    while ((await http(port, 'GET', '/healthz')).status !== 200) {
      if (p.exitCode !== null || performance.now() - t0 > 30_000) throw new Error('netloom serve did not start');
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const b of bombs()) {
      const body = JSON.stringify({ text: b.text, format: b.format });
      let done = false;
      let worst = 0;
      const poller = (async () => {
        while (!done) {
          const h0 = performance.now();
          await http(port, 'GET', '/healthz');
          worst = Math.max(worst, performance.now() - h0);
          await new Promise((r) => setTimeout(r, 10));
        }
      })();
      const a0 = performance.now();
      const r = await http(port, 'POST', '/api/labs/import', body);
      const answer = performance.now() - a0;
      done = true;
      await poller;
      worstAnswerMs = Math.max(worstAnswerMs, answer);
      worstHealthzMs = Math.max(worstHealthzMs, worst);
      const msg = (() => {
        try {
          return (JSON.parse(r.text) as { message?: string }).message ?? '';
        } catch {
          return r.text;
        }
      })();
      line(
        `serve-${b.name}`,
        answer,
        ` status=${r.status} healthz-worst-ms=${worst.toFixed(1)} answer="${msg.slice(0, 80)}"`,
      );
    }
  } finally {
    if (p.exitCode === null) p.kill('SIGTERM');
    await exited;
    await sb.close();
    await rm(dir, { recursive: true, force: true });
  }
  const verdict = (v: number, lim: number) => `${v.toFixed(0)} ms (target < ${lim} ms) ${v < lim ? 'PASS' : 'MISS'}`;
  console.log(`  slowest import answer: ${verdict(worstAnswerMs, ANSWER_LIMIT_MS)}`);
  console.log(`  worst /healthz latency during a bomb: ${verdict(worstHealthzMs, HEALTHZ_LIMIT_MS)}`);
  return { worstAnswerMs, worstHealthzMs };
}

if (process.argv[1]?.endsWith('import.ts')) await benchImport();
