/**
 * Classroom mode, pure parts and HTTP scoping with a fake engine per student world: the roster, the CSV,
 * the quotas (429 naming the quota), and that every route is scoped to the principal's world (another
 * student's lab is a 404, the dashboard is the teacher's only, the teacher's view is read only).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type ClassroomDashboard, emptyLayout, type GradeReport, type Lab } from '../../shared';
import { createApp } from '../app';
import { AppError } from '../errors';
import { silentLogger } from '../log';
import { LabStore } from '../store/labStore';
import { FakeEngine } from '../testing/fakeEngine';
import { Classroom } from './classroom';
import { CSV_HEADER, csvCell, resultsCsv } from './csv';
import { PrincipalRegistry } from './principal';
import { guardStore, type Quotas, SocketQuota } from './quota';
import { makeRoster, numberedNames, parseRoster, RosterError, slug } from './roster';
import { createClassroomServer, viewTarget } from './server';

const lab = (name: string, namespaces: number): Lab => ({
  version: 1,
  name,
  nodes: Array.from({ length: namespaces }, (_, i) => ({
    id: `n${i}`,
    kind: 'namespace' as const,
    name: `n${i}`,
    forwarding: false,
    routes: [],
  })),
  links: [],
});

describe('roster', () => {
  it('reads one name per line, skipping comments and blanks', () => {
    expect(parseRoster('# class 3b\nAlice\n\n  Bob  \r\n# end\n')).toEqual(['Alice', 'Bob']);
  });
  it('names the line of a bad entry', () => {
    expect(() => parseRoster('Alice\nalice\n')).toThrow(new RosterError('"alice" is listed twice', 2));
    expect(() => parseRoster(`Alice\n${'x'.repeat(81)}\n`)).toThrow(/^line 2: a name is at most 80/);
    expect(() => parseRoster('A\u0007b')).toThrow(/line 1: .*control characters/);
    expect(() => parseRoster('# nobody\n')).toThrow('the roster lists no student');
  });
  it('numbers students for --students N, within bounds', () => {
    expect(numberedNames(3)).toEqual(['Student 1', 'Student 2', 'Student 3']);
    expect(() => numberedNames(0)).toThrow(/--students must be 1–200/);
    expect(() => numberedNames(201)).toThrow(/--students must be 1–200/);
  });
  it('makes unique ids and a distinct token per student', () => {
    expect(slug("Zoë O'Neil")).toBe('zoe-o-neil');
    expect(slug('日本')).toBe('student');
    const r = makeRoster(['Alice', 'alice!', 'Bob']);
    expect(r.map((s) => s.id)).toEqual(['alice', 'alice-2', 'bob']);
    expect(new Set(r.map((s) => s.token)).size).toBe(3);
    expect(r[0]!.token.length).toBeGreaterThanOrEqual(32);
  });
});

describe('principals', () => {
  it('maps tokens to principals and revokes them', () => {
    const reg = new PrincipalRegistry();
    reg.registerToken('tok-alice-123', { id: 'alice', role: 'student', label: 'Alice' });
    expect(reg.principalOfToken('tok-alice-123')?.id).toBe('alice');
    expect(reg.principalOfToken('tok-alice-12')).toBeNull();
    reg.revokePrincipal('alice');
    expect(reg.principalOfToken('tok-alice-123')).toBeNull();
  });
});

describe('results CSV', () => {
  const report = (met: boolean[]): GradeReport => ({
    lab: 'ex',
    title: 'Ex',
    at: '2026-01-01T00:01:00.000Z',
    earned: 0,
    total: 0,
    complete: false,
    goals: met.map((m, i) => ({
      id: `g${i}`,
      title: i === 0 ? 'Say "hi", then ping' : `goal ${i}`,
      points: 2,
      met: m,
      reason: '',
      objects: [],
      at: `2026-01-01T00:00:${String(10 + i).padStart(2, '0')}.000Z`,
    })),
  });
  it('has one row per student and goal: points earned, passed, seconds to pass', () => {
    const csv = resultsCsv({
      students: [
        {
          id: 'a',
          label: 'Alice',
          link: '',
          joined: true,
          lab: 'ex',
          startedAt: '2026-01-01T00:00:00.000Z',
          report: report([true, false]),
          error: null,
        },
        { id: 'b', label: '=cmd()', link: '', joined: false, lab: null, startedAt: null, report: null, error: null },
      ],
    });
    expect(csv.split('\r\n')).toEqual([
      CSV_HEADER.join(','),
      'Alice,"Say ""hi"", then ping",2,yes,10.0',
      'Alice,goal 1,0,no,',
      '',
    ]);
  });
  it('defuses cells a spreadsheet would run as formulas', () => {
    expect(csvCell('=1+2')).toBe("'=1+2");
    expect(csvCell('-x')).toBe("'-x");
    expect(csvCell(-3)).toBe('-3');
  });
});

describe('quotas', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });
  it('refuses a lab write that takes the student over their namespaces, naming the quota', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'netloom-quota-'));
    dirs.push(dir);
    const store = guardStore(await LabStore.open(dir, silentLogger()), { namespaces: 4 });
    await store.create(lab('one', 3), emptyLayout());
    const over = store.create(lab('two', 2), emptyLayout());
    await expect(over).rejects.toThrow(
      'quota "namespaces" exceeded: at most 4 namespaces in your labs per student (this would make 5)',
    );
    await expect(over).rejects.toMatchObject({ code: 'QuotaExceeded' });
    expect(await store.names()).toEqual(['one']);
    await expect(store.update('one', { baseRevision: 1, lab: lab('one', 5) })).rejects.toBeInstanceOf(AppError);
    await store.update('one', { baseRevision: 1, lab: lab('one', 4) });
  });
  it('counts open sockets and gives a place back once', () => {
    const q = new SocketQuota('terminals', 1);
    const release = q.take();
    expect(() => q.take()).toThrow('quota "terminals" exceeded: at most 1 open terminals per student');
    release();
    release();
    expect(q.count).toBe(0);
    q.take();
    expect(q.count).toBe(1);
  });
});

describe('scoping over HTTP', () => {
  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const s of stops.splice(0).reverse()) await s();
  });

  async function start(quotas: Quotas = { namespaces: 10, terminals: 1, captures: 1, processes: 64 }) {
    const dir = await mkdtemp(join(tmpdir(), 'netloom-class-'));
    const log = silentLogger();
    const teacherToken = 'teacher-token-0123456789';
    const teacher = createApp({
      engine: new FakeEngine(),
      store: await LabStore.open(join(dir, 'teacher'), log),
      log,
      token: teacherToken,
      mode: 'sandbox',
      staticDir: null,
    });
    const students = makeRoster(['Alice', 'Bob']);
    const classroom = new Classroom({
      students,
      teacherToken,
      catalogue: [],
      log,
      pushEveryMs: 10,
      world: {
        dir: join(dir, 'class'),
        log,
        listen: '127.0.0.1',
        staticDir: null,
        examples: [],
        exercises: [],
        quotas,
        driver: 'ip-batch',
        openWorld: async () => ({ engine: new FakeEngine(), sandbox: null }),
      },
    });
    const front = createClassroomServer(classroom, teacher, log);
    await new Promise<void>((r) => front.server.listen(0, '127.0.0.1', r));
    const port = (front.server.address() as AddressInfo).port;
    classroom.baseUrl = `http://127.0.0.1:${port}`;
    stops.push(async () => {
      await front.close();
      await teacher.close();
      await rm(dir, { recursive: true, force: true });
    });
    const as = (token: string) => (method: string, path: string, body?: unknown) =>
      fetch(`http://127.0.0.1:${port}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    const [alice, bob] = students as [(typeof students)[0], (typeof students)[0]];
    return {
      port,
      classroom,
      alice: as(alice.token),
      bob: as(bob.token),
      teacher: as(teacherToken),
      tokens: { alice: alice.token, teacherToken },
    };
  }

  it("keeps each student in their own world: another's lab is a 404", async () => {
    const c = await start();
    expect((await c.alice('POST', '/api/labs', { lab: lab('alice-lab', 2) })).status).toBe(201);
    expect((await c.alice('GET', '/api/labs/alice-lab')).status).toBe(200);
    expect((await c.bob('GET', '/api/labs/alice-lab')).status).toBe(404);
    expect(((await (await c.bob('GET', '/api/labs')).json()) as { labs: unknown[] }).labs).toEqual([]);
    // The teacher's own world does not hold it either.
    expect((await c.teacher('GET', '/api/labs/alice-lab')).status).toBe(404);
    // A token nobody holds: refused.
    const stranger = await fetch(`http://127.0.0.1:${c.port}/api/labs`, {
      headers: { authorization: 'Bearer nope-nope-nope' },
    });
    expect(stranger.status).toBe(401);
  });

  it('gives the dashboard, the CSV and the read-only view to the teacher only', async () => {
    const c = await start();
    await c.alice('POST', '/api/labs', { lab: lab('alice-lab', 1) });
    const d = (await (await c.teacher('GET', '/api/classroom')).json()) as ClassroomDashboard;
    expect(d.students.map((s) => [s.id, s.joined])).toEqual([
      ['alice', true],
      ['bob', false],
    ]);
    // Bob has not joined: there is nothing of his to view.
    expect((await c.teacher('GET', '/classroom/view/bob/api/labs')).status).toBe(404);
    expect(d.students[0]!.link).toBe(`http://127.0.0.1:${c.port}/?token=${encodeURIComponent(c.tokens.alice)}`);
    expect((await c.bob('GET', '/api/classroom')).status).toBe(404);
    expect((await c.bob('GET', '/api/classroom/results.csv')).status).toBe(404);
    const csv = await c.teacher('GET', '/api/classroom/results.csv');
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(await csv.text()).toBe('student,goal,points,passed,time\r\n');
    // Pushing something not in the catalogue names the field.
    const bad = await c.teacher('POST', '/api/classroom/push', { file: 'nope.yaml' });
    expect(bad.status).toBe(404);
    expect(((await bad.json()) as { issues: { path: string[] }[] }).issues[0]!.path).toEqual(['file']);

    // Read-only view of Alice's world.
    expect((await c.teacher('GET', '/classroom/view/alice/api/labs/alice-lab')).status).toBe(200);
    const write = await c.teacher('PUT', '/classroom/view/alice/api/labs/alice-lab', {
      baseRevision: 1,
      lab: lab('alice-lab', 0),
    });
    expect(write.status).toBe(403);
    expect(((await write.json()) as { message: string }).message).toBe('viewing Alice is read only');
    // Only the teacher may view: a student presenting their token there is in their own world (404 page path).
    expect((await c.alice('GET', '/classroom/view/alice/api/labs')).status).toBe(404);
    expect(viewTarget('/classroom/view/al%69ce/api/x?y=1')).toEqual(['alice', '/api/x?y=1']);
    expect(viewTarget('/classroom/view/alice')).toBeNull();
  });

  it('pushes the dashboard over /ws to the teacher, and refuses the topic to students', async () => {
    const c = await start();
    const open = (token: string) =>
      new Promise<WebSocket>((ok, fail) => {
        const ws = new WebSocket(`ws://127.0.0.1:${c.port}/ws`, { headers: { authorization: `Bearer ${token}` } });
        ws.once('open', () => ok(ws));
        ws.once('error', fail);
      });
    const teacherWs = await open(c.tokens.teacherToken);
    const seen: ClassroomDashboard[] = [];
    const joined = new Promise<void>((ok) =>
      teacherWs.on('message', (d) => {
        const m = JSON.parse(d.toString()) as { type: string; dashboard: ClassroomDashboard };
        if (m.type !== 'classroom') return;
        seen.push(m.dashboard);
        if (m.dashboard.students[0]!.joined) ok();
      }),
    );
    teacherWs.send(JSON.stringify({ type: 'watch', topic: 'classroom' }));
    await c.alice('GET', '/api/labs');
    await joined;
    expect(seen[0]!.students[0]!.joined).toBe(false);
    const aliceWs = await open(c.tokens.alice);
    const refused = new Promise<string>((ok) =>
      aliceWs.on('message', (d) => {
        const m = JSON.parse(d.toString()) as { type: string; message?: string };
        if (m.type === 'error') ok(m.message!);
      }),
    );
    aliceWs.send(JSON.stringify({ type: 'watch', topic: 'classroom' }));
    expect(await refused).toBe('no topic "classroom" here');
    teacherWs.close();
    aliceWs.close();
  });

  it('refuses a terminal beyond the quota with 429 naming it', async () => {
    const c = await start({ namespaces: 10, terminals: 0, captures: 1, processes: 64 });
    const status = await new Promise<number>((ok, fail) => {
      const ws = new WebSocket(`ws://127.0.0.1:${c.port}/ws/term?node=x`, {
        headers: { authorization: `Bearer ${c.tokens.alice}` },
      });
      ws.once('unexpected-response', (_req, res) => ok(res.statusCode ?? 0));
      ws.once('open', () => fail(new Error('opened')));
      ws.once('error', () => {});
    });
    expect(status).toBe(429);
    // And lab writes over the namespace quota: 429 with the quota's name.
    const over = await c.alice('POST', '/api/labs', { lab: lab('big', 11) });
    expect(over.status).toBe(429);
    expect(((await over.json()) as { message: string }).message).toMatch(/^quota "namespaces" exceeded/);
  });
});
