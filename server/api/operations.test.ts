import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OperationResult, PlanResult, ServerMessage } from '../../shared';
import { startTestServer, type TestServer } from '../testing/harness';
import { makeVethPairLab } from '../testing/labs';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(() => s.stop());

/** Polls GET /api/operations/:id until the result is there. */
async function resultOf(id: string): Promise<OperationResult> {
  for (let i = 0; i < 200; i++) {
    const r = await s.api('GET', `/api/operations/${id}`);
    if (r.json.state !== 'running') return OperationResult.parse(r.json);
    await new Promise((res) => setTimeout(res, 10));
  }
  throw new Error('operation did not finish');
}

describe('plan', () => {
  it('returns the PlanResult and changes nothing', async () => {
    await s.api('POST', '/api/labs', { lab: makeVethPairLab('plan') });
    const r = await s.api('POST', '/api/labs/plan/plan');
    expect(r.status).toBe(200);
    const plan = PlanResult.parse(r.json);
    expect(plan.operations.map((o) => o.kind)).toEqual(['netns.create', 'netns.create', 'veth.create']);
    expect(s.engine.isApplied('plan')).toBe(false);
    expect((await s.api('POST', '/api/labs/nolab/plan')).status).toBe(404);
  });
});

describe('apply / destroy', () => {
  it('apply → 202 at once; progress then the result arrive on the socket; appliedRevision recorded', async () => {
    await s.api('POST', '/api/labs', { lab: makeVethPairLab('app') });
    const sock = await s.ws({ subscribe: 'app' });
    await sock.next('snapshot');
    const r = await s.api('POST', '/api/labs/app/apply');
    expect(r.status).toBe(202);
    const { operationId } = r.json;
    expect(operationId).toEqual(expect.any(String));

    const result = await sock.next('result', (m) => m.result.operationId === operationId);
    expect(result.result).toMatchObject({ lab: 'app', action: 'apply', ok: true, ran: 3 });
    const ops = sock.received.filter((m) => 'operationId' in m && m.operationId === operationId);
    const progress = ops.filter((m) => m.type === 'progress');
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress[0]).toMatchObject({ step: 1, total: 3, phase: 'execute', command: expect.stringContaining('ip') });
    const idxResult = sock.received.findIndex((m) => m.type === 'result');
    const idxLastProgress = sock.received.findLastIndex((m) => m.type === 'progress');
    expect(idxLastProgress).toBeLessThan(idxResult);
    for (const m of sock.received) ServerMessage.parse(m);

    expect(await resultOf(operationId)).toMatchObject({ ok: true });
    const list = (await s.api('GET', '/api/labs')).json.labs;
    expect(list.find((l: { name: string }) => l.name === 'app')).toMatchObject({ revision: 1, appliedRevision: 1 });

    // Applied labs cannot be deleted; destroy first.
    expect((await s.api('DELETE', '/api/labs/app')).status).toBe(409);
    const d = await s.api('POST', '/api/labs/app/destroy');
    expect(d.status).toBe(202);
    expect(await resultOf(d.json.operationId)).toMatchObject({ action: 'destroy', ok: true });
    expect((await s.api('GET', '/api/labs/app')).status).toBe(200);
    expect(
      (await s.api('GET', '/api/labs')).json.labs.find((l: { name: string }) => l.name === 'app').appliedRevision,
    ).toBeNull();
    expect((await s.api('DELETE', '/api/labs/app')).status).toBe(204);
    sock.close();
  });

  it('a layout-only edit keeps the lab marked as applied', async () => {
    const lab = (await s.api('POST', '/api/labs', { lab: makeVethPairLab('lay') })).json.lab;
    await resultOf((await s.api('POST', '/api/labs/lay/apply')).json.operationId);
    const u = await s.api('PUT', '/api/labs/lay', {
      lab,
      layout: { version: 1, positions: { red: { x: 1, y: 2 } } },
      baseRevision: 1,
    });
    expect(u.json.revision).toBe(2);
    const summary = (await s.api('GET', '/api/labs')).json.labs.find((l: { name: string }) => l.name === 'lay');
    expect(summary.appliedRevision).toBe(2);
    await s.api('PUT', '/api/labs/lay', { lab: { ...lab, title: 'changed' }, baseRevision: 2 });
    expect(
      (await s.api('GET', '/api/labs')).json.labs.find((l: { name: string }) => l.name === 'lay').appliedRevision,
    ).toBe(2);
  });

  it('a failed apply is a result, not an HTTP error, and records nothing', async () => {
    await s.api('POST', '/api/labs', { lab: makeVethPairLab('fails') });
    s.engine.failNext({
      code: 'HostCommandFailed',
      message: 'ip failed',
      argv: ['ip', 'link', 'add'],
      object: 'cable',
      rolledBack: true,
    });
    const r = await s.api('POST', '/api/labs/fails/apply');
    expect(r.status).toBe(202);
    const res = await resultOf(r.json.operationId);
    expect(res).toMatchObject({ ok: false, error: { code: 'HostCommandFailed', rolledBack: true, object: 'cable' } });
    expect(
      (await s.api('GET', '/api/labs')).json.labs.find((l: { name: string }) => l.name === 'fails').appliedRevision,
    ).toBeNull();
  });

  it('a stale baseRevision on apply → 409 and no engine call', async () => {
    await s.api('POST', '/api/labs', { lab: makeVethPairLab('stale') });
    const before = s.engine.mutatingCalls.length;
    const r = await s.api('POST', '/api/labs/stale/apply', { baseRevision: 7 });
    expect(r.status).toBe(409);
    expect(s.engine.mutatingCalls.length).toBe(before);
  });

  it('two applies at once are serialized (no overlap in the engine)', async () => {
    s.engine.stepMs = 20;
    await s.api('POST', '/api/labs', { lab: makeVethPairLab('one') });
    await s.api('POST', '/api/labs', { lab: makeVethPairLab('two') });
    s.engine.events.length = 0;
    const [a, b] = await Promise.all([s.api('POST', '/api/labs/one/apply'), s.api('POST', '/api/labs/two/apply')]);
    expect([a.status, b.status]).toEqual([202, 202]);
    const [ra, rb] = await Promise.all([resultOf(a.json.operationId), resultOf(b.json.operationId)]);
    expect(ra.ok && rb.ok).toBe(true);
    expect(s.engine.maxConcurrent).toBe(1);
    const ev = s.engine.events.filter((e) => e.includes(':apply:'));
    expect(ev).toHaveLength(4);
    expect(ev[0]?.replace('start', 'end')).toBe(ev[1]);
    expect(ev[2]?.replace('start', 'end')).toBe(ev[3]);
    s.engine.stepMs = 5;
  });

  it('a lab with a queued or running operation cannot be deleted', async () => {
    s.engine.stepMs = 30;
    await s.api('POST', '/api/labs', { lab: makeVethPairLab('busy') });
    const a = await s.api('POST', '/api/labs/busy/apply');
    const del = await s.api('DELETE', '/api/labs/busy');
    expect(del.status).toBe(409);
    await resultOf(a.json.operationId);
    s.engine.stepMs = 5;
  });

  it('recover → 202 and a result; unknown operation → 404', async () => {
    const r = await s.api('POST', '/api/recover');
    expect(r.status).toBe(202);
    expect(await resultOf(r.json.operationId)).toMatchObject({ action: 'recover', ok: true });
    expect((await s.api('GET', '/api/operations/nope')).status).toBe(404);
  });
});
