/** The exercise format's rules: validation with paths, safe commands, locks, what a goal is about, tallies. */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  commandProblem,
  type ExerciseInput,
  goalObjects,
  lockViolations,
  tally,
  toView,
  validateExercise,
} from './exercise';
import type { Lab } from './lab';
import { makeBridge, makeHost, makeLab, makeNamespace, makeVeth } from './testing/factories';

const lab = makeLab({ name: 'ex-test' });
const base = (over: Partial<ExerciseInput> = {}): ExerciseInput => ({
  version: 1,
  title: 'Test',
  instructions: 'Do it.',
  lab,
  goals: [{ id: 'g1', title: 'ns1 reaches ns2', check: { kind: 'reach', from: 'ns1', to: '10.0.0.2' } }],
  ...over,
});
const codes = (x: unknown) => {
  const v = validateExercise(x);
  return v.ok ? [] : v.issues.map((i) => `${i.code}@${i.path.join('.')}`);
};

describe('validateExercise', () => {
  it('accepts a minimal exercise and fills defaults (points 1, expect true, no locks)', () => {
    const v = validateExercise(base());
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    expect(v.exercise.goals[0]!.points).toBe(1);
    expect(v.exercise.goals[0]!.check).toMatchObject({ expect: true, count: 2, timeoutS: 1 });
    expect(v.exercise.locks).toEqual([]);
    expect(v.exercise.setup).toEqual([]);
  });

  it('reports the starting lab with the lab rules and a path under lab', () => {
    const bad = { ...lab, nodes: [...lab.nodes, makeNamespace({ id: 'ns3', name: 'ns1' })] };
    expect(codes(base({ lab: bad }))).toContain('DuplicateName@lab.nodes.2.name');
  });

  it('names unknown fields, bad checks and duplicate goal ids', () => {
    expect(codes({ ...base(), extra: 1 })).toEqual(['UnknownField@']);
    expect(
      codes(base({ goals: [{ id: 'g', title: 't', check: { kind: 'reach', from: 'ns1', to: 'nope' } }] })),
    ).toEqual(['InvalidValue@goals.0.check.to']);
    const g = { id: 'g', title: 't', check: { kind: 'forwarding', netns: 'ns1' } } as const;
    expect(codes(base({ goals: [g, g] }))).toEqual(['DuplicateId@goals.1.id']);
    expect(codes(base({ goals: [] }))).toEqual(['InvalidValue@goals']);
    // a route check names exactly one of to / dst
    const route = { kind: 'route', netns: 'ns1', to: 'default', dst: '10.0.0.9' } as const;
    expect(codes(base({ goals: [{ id: 'r', title: 'r', check: route }] }))).toEqual(['InvalidValue@goals.0.check']);
  });

  it('refuses a namespace called "host" (it names the root namespace in goals)', () => {
    const l = makeLab({ name: 'ex-test', nodes: [makeNamespace({ id: 'h', name: 'host' })], links: [] });
    expect(codes(base({ lab: l }))).toContain('AmbiguousPlace@lab.nodes');
  });

  it('locks must name objects and fields of the starting lab', () => {
    expect(codes(base({ locks: [{ object: 'nope' }] }))).toEqual(['UnknownObject@locks.0.object']);
    expect(codes(base({ locks: [{ object: 'link1', fields: ['endpoints.5'] }] }))).toEqual([
      'UnknownField@locks.0.fields.0',
    ]);
    expect(codes(base({ locks: [{ object: 'link1', fields: ['endpoints.0.addresses'] }, { object: 'ns1' }] }))).toEqual(
      [],
    );
  });

  it("the solution's lab keeps the exercise's lab name", () => {
    expect(codes(base({ solution: { lab: { ...lab, name: 'other' } } }))).toEqual([
      'SolutionLabName@solution.lab.name',
    ]);
    expect(codes(base({ solution: {} }))).toEqual(['InvalidValue@solution']);
  });

  it('setup and solution commands may only touch the exercise namespaces', () => {
    expect(codes(base({ setup: [['ip', '-n', 'ns1', 'link', 'set', 'lo', 'down']] }))).toEqual([]);
    expect(codes(base({ setup: [['ip', 'link', 'set', 'lo', 'down']] }))).toEqual(['UnsafeCommand@setup.0']);
    expect(codes(base({ solution: { commands: [['rm', '-rf', '/']] } }))).toEqual([
      'UnsafeCommand@solution.commands.0',
    ]);
  });

  it('never throws on junk', () => {
    for (const junk of [null, 1, 'x', [], { version: 2 }, { lab: 5 }]) expect(validateExercise(junk).ok).toBe(false);
  });

  it('the view a student gets has no solution', () => {
    const v = validateExercise(base({ solution: { commands: [['ip', '-n', 'ns1', 'link', 'set', 'lo', 'up']] } }));
    expect(v.ok && 'solution' in toView(v.exercise)).toBe(false);
  });
});

describe('commandProblem', () => {
  const ns = new Set(['red', 'blue']);
  it('allows namespaced ip/bridge/tc and ip netns exec NS {ip,sysctl,nft,…}', () => {
    for (const argv of [
      ['ip', '-n', 'red', 'link', 'add', 'name', 'a', 'type', 'veth', 'peer', 'name', 'b', 'netns', 'blue'],
      ['bridge', '-n', 'red', 'link', 'show'],
      ['tc', '-n', 'red', 'qdisc', 'show'],
      ['ip', 'netns', 'exec', 'red', 'sysctl', '-w', 'net.ipv4.ip_forward=1'],
      ['ip', 'netns', 'exec', 'blue', 'nft', 'add', 'table', 'ip', 'x'],
    ])
      expect(commandProblem(argv, ns), argv.join(' ')).toBeNull();
  });
  it('refuses the root namespace, other namespaces, other programs, files and batches', () => {
    for (const argv of [
      ['ip', 'link', 'add', 'x', 'type', 'dummy'],
      ['ip', '-n', 'green', 'link', 'show'],
      ['ip', '-n', 'red', 'link', 'set', 'a', 'netns', 'green'],
      ['ip', 'netns', 'exec', 'red', 'bash', '-c', 'id'],
      ['ip', 'netns', 'exec', 'red', 'ip', '-n', 'blue', 'link'],
      ['ip', '-n', 'red', '-batch', '/etc/passwd'],
      ['ip', 'netns', 'exec', 'red', 'nft', '-f', '/tmp/rules'],
      ['ip', 'netns', 'exec', 'red', 'sysctl', '-p', '/tmp/x'],
      ['ip', '-n', 'red', 'netns', 'add', 'x'],
      ['sh', '-c', 'ip link'],
    ])
      expect(commandProblem(argv, ns), argv.join(' ')).not.toBeNull();
  });
});

describe('lockViolations', () => {
  const ex = {
    lab,
    locks: [{ object: 'ns1' }, { object: 'link1', fields: ['endpoints.0.addresses'], reason: 'keep the plan' }],
  };
  const edit = (f: (l: Lab) => void): Lab => {
    const l = structuredClone(lab);
    f(l);
    return l;
  };

  it('allows changes outside the locks', () => {
    expect(lockViolations(ex, lab)).toEqual([]);
    expect(
      lockViolations(
        ex,
        edit((l) => l.links[0]!.endpoints[1].addresses.push('10.0.0.3/24')),
      ),
    ).toEqual([]);
    expect(
      lockViolations(
        ex,
        edit((l) => l.nodes.push(makeNamespace({ id: 'ns3' }))),
      ),
    ).toEqual([]);
  });

  it('refuses a locked field changed, with its path and object', () => {
    const v = lockViolations(
      ex,
      edit((l) => {
        l.links[0]!.endpoints[0].addresses = ['10.9.9.9/24'];
      }),
    );
    expect(v).toEqual([
      expect.objectContaining({
        code: 'Locked',
        object: 'link1',
        path: ['links', 0, 'endpoints', 0, 'addresses'],
        message: expect.stringContaining('keep the plan'),
      }),
    ]);
  });

  it('refuses a whole locked object changed or removed', () => {
    expect(
      lockViolations(
        ex,
        edit((l) => Object.assign(l.nodes[0]!, { forwarding: true })),
      )[0],
    ).toMatchObject({
      path: ['nodes', 0],
      object: 'ns1',
    });
    expect(
      lockViolations(
        ex,
        edit((l) => l.nodes.splice(0, 1)),
      )[0],
    ).toMatchObject({ path: ['nodes'], object: 'ns1' });
  });

  it('a lab with defaults left out (as a canvas may hold it) is the same lab', () => {
    const sparse = edit((l) => {
      delete (l.nodes[0] as { routes?: unknown }).routes;
      delete (l.nodes[0] as { forwarding?: unknown }).forwarding;
    });
    expect(lockViolations(ex, sparse)).toEqual([]);
  });
});

describe('goalObjects', () => {
  const l = makeLab({
    name: 'ex-test',
    nodes: [
      makeHost({ id: 'gw' }),
      makeNamespace({ id: 'a', name: 'red' }),
      makeNamespace({ id: 'sw' }),
      makeBridge({ id: 'br', name: 'br0', namespace: 'sw' }),
      makeNamespace({
        id: 'b',
        name: 'blue',
        interfaces: [{ kind: 'tap', name: 'tap0', addresses: [] }],
      }),
    ],
    links: [
      makeVeth({ node: 'a', ifname: 'veth-red' }, { node: 'br', ifname: 'sw-a' }, { id: 'l1' }),
      makeVeth({ node: 'gw', ifname: 'up0' }, { node: 'b', ifname: 'eth0' }, { id: 'l2' }),
    ],
  });
  it('resolves kernel names to lab objects: namespaces, link ends, bridges, attached interfaces, the host', () => {
    expect(goalObjects({ kind: 'forwarding', netns: 'red', on: true }, l)).toEqual(['a']);
    expect(goalObjects({ kind: 'forwarding', netns: 'host', on: true }, l)).toEqual(['gw']);
    expect(
      goalObjects({ kind: 'address', netns: 'red', dev: 'veth-red', address: '1.2.3.4', present: true }, l),
    ).toEqual(['l1']);
    expect(goalObjects({ kind: 'interface', netns: 'sw', dev: 'sw-a', present: true }, l)).toEqual(['l1']);
    expect(goalObjects({ kind: 'interface', netns: 'sw', dev: 'br0', present: true }, l)).toEqual(['br']);
    expect(goalObjects({ kind: 'interface', netns: 'host', dev: 'up0', present: true }, l)).toEqual(['l2']);
    expect(goalObjects({ kind: 'interface', netns: 'blue', dev: 'tap0', present: true }, l)).toEqual(['b']);
  });
  it('falls back to the namespace for an interface the design lacks, and to nothing for unknown places', () => {
    expect(goalObjects({ kind: 'interface', netns: 'red', dev: 'ghost', present: true }, l)).toEqual(['a']);
    expect(goalObjects({ kind: 'namespace', netns: 'green', present: true }, l)).toEqual([]);
    expect(goalObjects({ kind: 'agree', objects: ['l1'] }, l)).toEqual(['l1']);
  });
});

describe('tally', () => {
  it('counts the points of met goals; complete only when all are met', () => {
    expect(tally([])).toEqual({ earned: 0, total: 0, complete: true });
    expect(
      tally([
        { points: 2, met: true },
        { points: 3, met: null },
        { points: 1, met: false },
      ]),
    ).toEqual({ earned: 2, total: 6, complete: false });
  });
});

describe('shipped exercises', () => {
  const dir = fileURLToPath(new URL('../examples/exercises/', import.meta.url));
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.yaml')))
    it(`${f} is valid, has a solution, and its lab name starts with ex-`, () => {
      const v = validateExercise(parse(readFileSync(dir + f, 'utf8')));
      expect(v.issues).toEqual([]);
      expect(v.ok && v.exercise.solution).toBeTruthy();
      expect(v.ok && v.exercise.lab.name.startsWith('ex-')).toBe(true);
    });
});
