/**
 * Per-principal quotas (issue #13 item 12) over real HTTP and WebSockets with a fake engine and a gated
 * runner (commands stay "running" until the test lets them finish): exec 8, terminals 8, captures 4, /ws 64
 * per principal, answered 429 naming the quota; the reachability matrix holds exec slots like any command.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { CommandRunner, RunResult } from '../engine/contract';
import { openSocket, startTestServer, TEST_TOKEN, type TestServer } from '../testing/harness';
import { makeVethPairLab } from '../testing/labs';
import { waitUntil } from '../testing/wait';
import { QUOTAS, Quotas } from './quotas';
import { OPERATOR } from './sessions';

class GatedRunner implements CommandRunner {
  readonly prefix = ['nsenter', '-t', '1', '-n', '-m', '--'] as const;
  readonly mode = 'sandbox' as const;
  running = 0;
  max = 0;
  /** Once open, commands no longer wait (a test's last phase: nothing started late can hang it). */
  open = false;
  private waiting: (() => void)[] = [];
  async run(): Promise<RunResult> {
    this.running++;
    this.max = Math.max(this.max, this.running);
    if (!this.open) await new Promise<void>((r) => this.waiting.push(r));
    this.running--;
    return { code: 0, stdout: '', stderr: '' };
  }
  release(): void {
    for (const r of this.waiting.splice(0)) r();
  }
}

const STUDENT = { id: 'student-1', role: 'student' as const, label: 'Ada' };
const exec = { node: 'red', tool: 'ipAddr' };

let s: TestServer;
let runner: GatedRunner;
beforeEach(async () => {
  runner = new GatedRunner();
  s = await startTestServer({ runner });
  s.security.registerToken('student-token-1', STUDENT);
  expect((await s.api('POST', '/api/labs', { lab: makeVethPairLab() })).status).toBe(201);
  // Tools follow what a lab applied and owns (targets.ts): the lab is applied (fake engine) first.
  expect((await s.engine.apply((await s.store.require('veth-pair')).lab)).ok).toBe(true);
});
afterEach(async () => {
  runner.release();
  await s.stop();
});

describe('Quotas', { timeout: 60_000 }, () => {
  it('counts per principal and kind; release is idempotent', () => {
    const q = new Quotas();
    const rel = q.acquire(OPERATOR, 'captures', QUOTAS.captures);
    expect(() => q.acquire(OPERATOR, 'captures')).toThrow(/quota "captures" reached: at most 4/);
    expect(q.acquire(STUDENT, 'captures')).toBeTypeOf('function');
    expect(q.free(OPERATOR, 'terminals')).toBe(QUOTAS.terminals);
    rel();
    rel();
    expect(q.inUse(OPERATOR, 'captures')).toBe(0);
  });
});

describe('exec quota', { timeout: 60_000 }, () => {
  it('the 9th concurrent command of one principal is 429 naming the quota; others are not affected', async () => {
    const pending = Array.from({ length: QUOTAS.exec }, () => s.api('POST', '/api/labs/veth-pair/exec', exec));
    await waitUntil(() => runner.running === QUOTAS.exec, 30_000);
    const ninth = await s.api('POST', '/api/labs/veth-pair/exec', exec);
    expect(ninth.status).toBe(429);
    expect(ninth.json).toMatchObject({ code: 'TooManyRequests', message: expect.stringMatching(/quota "exec"/) });
    // Another principal has its own quota.
    const student = s.api('POST', '/api/labs/veth-pair/exec', exec, { authorization: 'Bearer student-token-1' });
    await waitUntil(() => runner.running === QUOTAS.exec + 1, 30_000);
    runner.release();
    for (const r of await Promise.all([...pending, student])) expect(r.status).toBe(200);
    // Slots come back when the commands end.
    const again = s.api('POST', '/api/labs/veth-pair/exec', exec);
    await waitUntil(() => runner.running === 1, 30_000);
    runner.release();
    expect((await again).status).toBe(200);
  });

  it('the reachability matrix goes through the same limiter', { timeout: 180_000 }, async () => {
    const pending = Array.from({ length: QUOTAS.exec }, () => s.api('POST', '/api/labs/veth-pair/exec', exec));
    await waitUntil(() => runner.running === QUOTAS.exec, 30_000);
    const m = await s.api('POST', '/api/labs/veth-pair/reachability', {});
    expect(m.status).toBe(429);
    expect(m.json.message).toMatch(/quota "exec"/);
    runner.release();
    await Promise.all(pending);
    // While a matrix runs it holds its parallelism (6 of the 8 slots): 2 commands beside it run, 6 are refused.
    runner.max = 0;
    const matrix = s.api('POST', '/api/labs/veth-pair/reachability', {});
    await waitUntil(() => runner.running === 2, 30_000);
    let refused = 0;
    const beside = Array.from({ length: QUOTAS.exec }, () =>
      s.api('POST', '/api/labs/veth-pair/exec', exec).then((r) => {
        if (r.status === 429) refused++;
        return r;
      }),
    );
    // Every request must have been admitted or refused before the matrix ends and frees its slots
    // (a request still in flight then would be admitted: the race a loaded CI machine found).
    await waitUntil(() => runner.running === 4 && refused === 6, 30_000);
    runner.open = true;
    runner.release();
    const statuses = (await Promise.all(beside)).map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 429, 429, 429, 429, 429, 429]);
    expect(runner.max).toBeLessThanOrEqual(QUOTAS.exec);
    expect((await matrix).status).toBe(200);
  });
});

/** Opens a tool socket with the Bearer token; resolves with its first frame and its close code. */
function toolSocket(path: string): Promise<{ first: { type: string; code?: string; message?: string }; code: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${s.port}${path}`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    let first: { type: string } | undefined;
    ws.once('message', (d) => {
      first = JSON.parse(d.toString());
    });
    ws.on('close', (code) => resolve({ first: first as { type: string }, code }));
    ws.on('error', reject);
  });
}

describe('terminal and capture quotas', { timeout: 60_000 }, () => {
  it('a terminal beyond the quota is refused on its socket with 4429 and a message naming "terminals"', async () => {
    const held = s.quotas.acquire(OPERATOR, 'terminals', QUOTAS.terminals);
    const r = await toolSocket('/ws/term?lab=veth-pair&node=red');
    expect(r.code).toBe(4429);
    expect(r.first).toMatchObject({
      type: 'error',
      code: 'TooManyRequests',
      message: expect.stringMatching(/"terminals"/),
    });
    expect(s.tools.terminals?.count).toBe(0);
    held();
  });

  it('a capture beyond the quota is refused with 4429 naming "captures", before anything runs', async () => {
    const held = s.quotas.acquire(OPERATOR, 'captures', QUOTAS.captures);
    const r = await toolSocket('/ws/capture?lab=veth-pair&link=cable&end=0');
    expect(r.code).toBe(4429);
    expect(r.first).toMatchObject({
      type: 'error',
      code: 'TooManyRequests',
      message: expect.stringMatching(/"captures"/),
    });
    expect(runner.running).toBe(0);
    held();
  });

  it('a refused or closed tool socket gives its slot back', async () => {
    // An unknown node is refused after the slot was taken: the slot must come back with the close.
    await toolSocket('/ws/term?lab=veth-pair&node=ghost');
    await waitUntil(
      () => s.quotas.inUse(OPERATOR, 'terminals') === 0 && s.quotas.inUse(OPERATOR, 'sockets') === 0,
      30_000,
    );
  });
});

describe('/ws quota', { timeout: 60_000 }, () => {
  it('the 65th socket of one principal is 429 naming "sockets"; closing one frees a slot', async () => {
    const held = s.quotas.acquire(OPERATOR, 'sockets', QUOTAS.sockets - 1);
    const url = `ws://127.0.0.1:${s.port}/ws`;
    const auth = { authorization: `Bearer ${TEST_TOKEN}` };
    const last = await openSocket(url, auth);
    const refused = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const ws = new WebSocket(url, { headers: auth });
      ws.on('unexpected-response', (_q, res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      ws.on('open', () => reject(new Error('opened')));
      ws.on('error', () => {});
    });
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.body)).toMatchObject({
      code: 'TooManyRequests',
      message: expect.stringMatching(/"sockets"/),
    });
    // A student is not affected.
    (await openSocket(url, { authorization: 'Bearer student-token-1' })).close();
    last.close();
    await waitUntil(() => s.quotas.inUse(OPERATOR, 'sockets') === QUOTAS.sockets - 1, 30_000);
    (await openSocket(url, auth)).close();
    held();
  });
});
