/**
 * The real server process, killed with SIGKILL in the middle of an apply, then started again on the same state
 * directory and the same sandbox (`--attach-sandbox`): recovery must leave either the sandbox exactly as before
 * (rolled back) or the lab completely applied — never a mix, never an orphan — and the status the UI sees must
 * say so. Root only; every kernel object lives in a throwaway sandbox.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { type LabInput, LabStatus, PlanResult } from '../../shared';
import type { CommandRunner } from '../engine/contract';
import { describeKernel, kernelDriver, withSandbox } from '../engine/testing/kernel';
import { snapshot } from '../engine/testing/snapshot';
import { openSocket } from '../testing/harness';

const BIN = fileURLToPath(new URL('../../bin/netloom.js', import.meta.url));
const TOKEN = 'crash-test-token-0123456789';
const N = 30;

/** A star of N namespaces on one root bridge: enough steps that a kill lands mid-apply. */
function star(): LabInput {
  const nodes: LabInput['nodes'] = [{ id: 'hub', kind: 'bridge', name: 'crash-br' }];
  const links: LabInput['links'] = [];
  for (let i = 1; i <= N; i++) {
    nodes.push({ id: `n${i}`, kind: 'namespace', name: `crash${i}` });
    links.push({
      id: `l${i}`,
      kind: 'veth',
      endpoints: [
        { node: `n${i}`, ifname: 'eth0', addresses: [`10.77.0.${i}/24`] },
        { node: 'hub', ifname: `crp${i}` },
      ],
    });
  }
  return { version: 1, name: 'crashy', nodes, links };
}

interface Server {
  proc: ChildProcess;
  port: number;
  api(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }>;
}

async function startServer(sandboxPid: number, stateDir: string, port: number): Promise<Server> {
  const proc = spawn(
    process.execPath,
    [
      BIN,
      'serve',
      '--attach-sandbox',
      String(sandboxPid),
      '--port',
      String(port),
      '--token',
      TOKEN,
      '--driver',
      kernelDriver(),
    ],
    {
      env: { ...process.env, NETLOOM_STATE_DIR: stateDir, NETLOOM_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const base = `http://127.0.0.1:${port}`;
  const api: Server['api'] = async (method, path, body) => {
    const res = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  };
  // Wait for the condition (healthz answers), bounded; no fixed sleeps.
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`server exited early (${proc.exitCode}): ${stderr}`);
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch {}
    if (Date.now() > deadline) throw new Error(`server did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { proc, port, api };
}

const exited = (p: ChildProcess): Promise<void> =>
  p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise((r) => p.once('exit', () => r()));

async function ownedBy(runner: CommandRunner, lab: string): Promise<string[]> {
  const found: string[] = [];
  const list = await runner.run(['ip', '-j', 'netns', 'list']);
  const names = list.stdout.trim() ? (JSON.parse(list.stdout) as { name: string }[]).map((n) => n.name) : [];
  for (const ns of ['', ...names]) {
    const r = await runner.run(['ip', ...(ns ? ['-n', ns] : []), '-j', 'link', 'show']);
    for (const l of JSON.parse(r.stdout || '[]') as { ifname: string; ifalias?: string }[])
      if (l.ifalias?.startsWith(`netloom:${lab}:`)) found.push(`${ns || '(root)'}/${l.ifname}`);
  }
  return found;
}

describeKernel('server killed with SIGKILL mid-apply', () => {
  it('restarts, recovers, and shows a correct status: rolled back (or complete), never a mix', async () => {
    await withSandbox(async (sb, stateDir) => {
      const before = await snapshot(sb.runner);
      const port = 17_400 + Math.floor(Math.random() * 500);
      let server = await startServer(sb.pid, stateDir, port);
      try {
        expect((await server.api('POST', '/api/labs', { lab: star() })).status).toBe(201);

        const sock = await openSocket(`ws://127.0.0.1:${port}/ws`, { authorization: `Bearer ${TOKEN}` });
        await sock.next('hello');
        sock.send({ type: 'subscribe', lab: 'crashy' });
        await sock.next('snapshot');
        expect((await server.api('POST', '/api/labs/crashy/apply', {})).status).toBe(202);
        // Kill at the first step that changes the host.
        await sock.next('progress', (m) => m.phase === 'execute', 30_000);
        server.proc.kill('SIGKILL');
        await exited(server.proc);
        sock.close();

        server = await startServer(sb.pid, stateDir, port);
        const plan = PlanResult.parse((await server.api('POST', '/api/labs/crashy/plan', {})).json);
        const owned = await ownedBy(sb.runner, 'crashy');
        const doc = (await server.api('GET', '/api/labs/crashy')).json as { revision: number };
        const summary = (await server.api('GET', '/api/labs')).json as {
          labs: { name: string; appliedRevision: number | null }[];
        };
        const applied = summary.labs.find((l) => l.name === 'crashy')?.appliedRevision ?? null;

        const sock2 = await openSocket(`ws://127.0.0.1:${port}/ws`, { authorization: `Bearer ${TOKEN}` });
        await sock2.next('hello');
        sock2.send({ type: 'subscribe', lab: 'crashy' });
        const status = LabStatus.parse((await sock2.next('snapshot', undefined, 15_000)).status);
        sock2.close();
        const states = new Set(Object.values(status.objects).map((o) => o.state));

        if (owned.length === 0) {
          // Rolled back: the sandbox is exactly as before, the UI sees everything absent and nothing applied.
          expect(await snapshot(sb.runner)).toEqual(before);
          expect(applied).toBeNull();
          expect([...states]).toEqual(['absent']);
          expect(plan.operations.length).toBeGreaterThan(0);
        } else {
          // The apply had completed before the kill landed: then it is complete, not partial.
          expect(plan.operations).toEqual([]);
          expect(owned.length).toBe(2 * N + 1 + N); // veth ends + bridge + namespace lo markers
          expect([...states]).toEqual(['ready']);
          expect(doc.revision).toBeGreaterThan(0);
        }

        // And the lab can still be applied and destroyed normally afterwards (no "File exists", no lock left).
        const sock3 = await openSocket(`ws://127.0.0.1:${port}/ws`, { authorization: `Bearer ${TOKEN}` });
        await sock3.next('hello');
        sock3.send({ type: 'subscribe', lab: 'crashy' });
        expect((await server.api('POST', '/api/labs/crashy/apply', {})).status).toBe(202);
        const applyResult = await sock3.next('result', (m) => m.result.action === 'apply', 60_000);
        expect(applyResult.result.ok).toBe(true);
        expect((await server.api('POST', '/api/labs/crashy/destroy', {})).status).toBe(202);
        const destroyResult = await sock3.next('result', (m) => m.result.action === 'destroy', 60_000);
        expect(destroyResult.result.ok).toBe(true);
        sock3.close();
        expect(await ownedBy(sb.runner, 'crashy')).toEqual([]);
        expect(await snapshot(sb.runner)).toEqual(before);
      } finally {
        server.proc.kill('SIGTERM');
        await exited(server.proc);
      }
    });
  }, 180_000);
});
