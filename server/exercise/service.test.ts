/**
 * Exercises over real HTTP and the real status socket, with the fake engine (its observation set by the test,
 * as the kernel would change it) and a recording runner: catalogue, start (bound + applied once), locks
 * refused by the server whoever writes, the view without the solution, live reports over /ws that follow
 * the "kernel", reset.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Exercise, ExerciseStarted, LabExercise, ListExercisesResponse } from '../../shared';
import type { CommandRunner, RunResult } from '../engine/contract';
import type { ObservedState } from '../engine/types';
import { startTestServer, type TestServer } from '../testing/harness';
import { waitUntil } from '../testing/wait';
import { checkExercise } from './files';

const exercise: Exercise = checkExercise({
  version: 1,
  title: 'Address red',
  instructions: 'Give veth-red 10.0.0.1/24.',
  lab: {
    version: 1,
    name: 'ex-svc',
    nodes: [
      { id: 'red', kind: 'namespace', name: 'red' },
      { id: 'blue', kind: 'namespace', name: 'blue' },
    ],
    links: [
      {
        id: 'cable',
        kind: 'veth',
        endpoints: [
          { node: 'red', ifname: 'veth-red' },
          { node: 'blue', ifname: 'veth-blue', addresses: ['10.0.0.2/24'] },
        ],
      },
    ],
  },
  locks: [{ object: 'cable', fields: ['endpoints.1.addresses'], reason: 'blue is done' }],
  goals: [
    {
      id: 'addr',
      title: 'veth-red has 10.0.0.1/24',
      points: 2,
      hint: 'ip -n red addr add 10.0.0.1/24 dev veth-red',
      check: { kind: 'address', netns: 'red', dev: 'veth-red', address: '10.0.0.1/24' },
    },
    { id: 'ping', title: 'red reaches blue', check: { kind: 'reach', from: 'red', to: '10.0.0.2' } },
  ],
  solution: { commands: [['ip', '-n', 'red', 'addr', 'add', '10.0.0.1/24', 'dev', 'veth-red']] },
});

/** Answers pings like the kernel would: a reply once red has its address. */
class FakeWorld implements CommandRunner {
  readonly prefix: readonly string[] = [];
  readonly mode = 'sandbox' as const;
  readonly commands: string[][] = [];
  reachable = false;
  async run(argv: readonly string[]): Promise<RunResult> {
    this.commands.push([...argv]);
    if (argv.includes('ping')) {
      const got = this.reachable ? 2 : 0;
      return { code: got ? 0 : 1, stdout: `2 packets transmitted, ${got} received\n`, stderr: '' };
    }
    return { code: 0, stdout: '', stderr: '' };
  }
}

const observation = (redAddrs: string[]): ObservedState => ({
  root: { name: null, marker: null, links: [], routes: [] },
  namespaces: {
    red: {
      name: 'red',
      marker: null,
      links: [
        {
          netns: 'red',
          ifindex: 2,
          ifname: 'veth-red',
          kind: 'veth',
          marker: null,
          adminUp: true,
          operstate: 'UP',
          mtu: 1500,
          addresses: redAddrs,
        },
      ],
      routes: [],
    },
  },
});

let s: TestServer;
const world = new FakeWorld();
beforeAll(async () => {
  s = await startTestServer({ exercises: [{ file: 'svc.yaml', exercise }], runner: world });
  s.engine.observation = observation([]);
});
afterAll(() => s.stop());

describe('exercises API', () => {
  it('lists the catalogue', async () => {
    const r = await s.api('GET', '/api/exercises');
    expect(r.status).toBe(200);
    expect(ListExercisesResponse.parse(r.json).exercises).toEqual([
      { file: 'svc.yaml', lab: 'ex-svc', title: 'Address red', summary: '', goals: 2, points: 3 },
    ]);
  });

  it('start: creates the lab bound to the exercise and applies it once; starting again keeps it', async () => {
    const r = await s.api('POST', '/api/exercises/svc.yaml/start');
    expect(r.status).toBe(202);
    const started = ExerciseStarted.parse(r.json);
    expect(started.operationId).toEqual(expect.any(String));
    await waitUntil(() => s.engine.isApplied('ex-svc'), 5000, 'the starting lab applied');
    expect((await s.store.get('ex-svc'))?.exercise?.file).toBe('svc.yaml');
    await waitUntil(async () => (await s.store.get('ex-svc'))?.appliedRevision === 1, 5000, 'the applied mark');
    const again = await s.api('POST', '/api/exercises/svc.yaml/start');
    expect(again.status).toBe(200);
    expect(again.json.operationId).toBeNull();
    expect(s.engine.callCount('apply')).toBe(1);
    // Not on the host any more (e.g. a new sandbox): starting brings the stored design back up.
    await s.store.setApplied('ex-svc', null);
    const back = await s.api('POST', '/api/exercises/svc.yaml/start');
    expect(back.status).toBe(202);
    await waitUntil(() => s.engine.callCount('apply') === 2, 5000, 'the re-apply');
    expect((await s.api('POST', '/api/exercises/nope.yaml/start')).status).toBe(404);
  });

  it('a lab of the same name that is not this exercise is not overwritten', async () => {
    const other = { ...exercise.lab, name: 'ex-other' };
    await s.api('POST', '/api/labs', { lab: other });
    const s2 = await startTestServer({
      store: s.store,
      exercises: [{ file: 'o.yaml', exercise: { ...exercise, lab: other } }],
      runner: world,
    });
    try {
      const r = await s2.api('POST', '/api/exercises/o.yaml/start');
      expect(r.status).toBe(409);
    } finally {
      await s2.stop();
    }
  });

  it('GET /api/labs/:name/exercise: the exercise without its solution', async () => {
    const r = await s.api('GET', '/api/labs/ex-svc/exercise');
    expect(r.status).toBe(200);
    const body = LabExercise.parse(r.json);
    expect(body.exercise.goals.map((g) => g.id)).toEqual(['addr', 'ping']);
    expect(r.text).not.toContain('solution');
    expect((await s.api('GET', '/api/labs/ex-other/exercise')).status).toBe(404);
  });

  it('locks: an edit of a locked field is refused with its path, any other edit is stored', async () => {
    const doc = (await s.api('GET', '/api/labs/ex-svc')).json;
    const bad = structuredClone(doc.lab);
    bad.links[0].endpoints[1].addresses = ['10.0.0.9/24'];
    const r = await s.api('PUT', '/api/labs/ex-svc', { lab: bad, baseRevision: doc.revision });
    expect(r.status).toBe(403);
    expect(r.json.code).toBe('PermissionDenied');
    expect(r.json.message).toContain('blue is done');
    expect(r.json.issues).toEqual([
      expect.objectContaining({ code: 'Locked', object: 'cable', path: ['links', 0, 'endpoints', 1, 'addresses'] }),
    ]);
    const good = structuredClone(doc.lab);
    good.links[0].endpoints[0].addresses = ['10.0.0.1/24'];
    const ok = await s.api('PUT', '/api/labs/ex-svc', { lab: good, baseRevision: doc.revision });
    expect(ok.status).toBe(200);
    expect((await s.store.get('ex-svc'))?.exercise?.file).toBe('svc.yaml');
  });

  it('live: a subscriber gets the report, and a new one when the kernel changes', async () => {
    const sock = await s.ws({ subscribe: 'ex-svc' });
    // The state goals are judged at once; a probe's goal says "checking…" (met: null) until it answers.
    const checking = await sock.next('exercise', (m) => m.report !== null);
    expect(checking.report!.goals[0]!.met).toBe(false);
    const first =
      checking.report!.goals[1]!.met === null
        ? await sock.next('exercise', (m) => m.report?.goals[1]?.met !== null)
        : checking;
    expect(first.report!.goals.map((g) => [g.id, g.met])).toEqual([
      ['addr', false],
      ['ping', false],
    ]);
    expect(first.report!.goals[0]!.objects).toEqual(['cable']);
    expect(first.report).toMatchObject({ earned: 0, total: 3, complete: false });
    // The "student" types ip commands: the observation changes, the ping starts answering.
    s.engine.observation = observation(['10.0.0.1/24']);
    world.reachable = true;
    const done = await sock.next('exercise', (m) => m.report?.complete === true);
    expect(done.report).toMatchObject({ earned: 3, total: 3 });
    expect(done.report!.goals[0]!.reason).toBe('10.0.0.1/24 is on veth-red in red');
    // Nothing changes: no more reports (they are sent on change only).
    const n = sock.received.filter((m) => m.type === 'exercise').length;
    await s.api('POST', '/api/labs/ex-svc/exercise/check');
    expect(sock.received.filter((m) => m.type === 'exercise').length).toBe(n);
    sock.close();
    await waitUntil(() => Object.keys(s.exercises.grader!.watched()).length === 0, 5000, 'the grader to stop watching');
  });

  it('check: one fresh judgement of every goal', async () => {
    const r = await s.api('POST', '/api/labs/ex-svc/exercise/check');
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ lab: 'ex-svc', complete: true, earned: 3 });
  });

  it('reset: the design goes back to the starting lab and is applied again', async () => {
    const before = await s.store.get('ex-svc');
    const applies = s.engine.callCount('apply');
    const r = await s.api('POST', '/api/labs/ex-svc/exercise/reset');
    expect(r.status).toBe(202);
    const after = await s.store.get('ex-svc');
    expect(after?.lab.links[0]?.endpoints[0].addresses).toEqual([]);
    expect(after?.exercise?.startedAt).not.toBe(before?.exercise?.startedAt);
    await waitUntil(() => s.engine.callCount('apply') > applies, 5000, 'the re-apply');
  });
});
