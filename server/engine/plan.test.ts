/** Planner unit tests: inverses of every op kind, canonical forms, conflicts, describe(), planDestroy. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type BridgeNode, type Endpoint, Lab, type NamespaceNode } from '../../shared';
import { makeBridge, makeNamespace, makeVeth } from '../../shared/testing/factories';
import { canonicalCidr, canonicalIp } from './desired';
import { describe as describeOp, plan } from './plan';
import { planDestroy } from './planDestroy';
import { emptyObserved, normalize, simulate, simulateAll } from './simulate';
import { status } from './status';
import type { ObservedState, Operation, OpKind, Plan } from './types';

const ns = (id: string, name: string, extra: Partial<NamespaceNode> = {}) => makeNamespace({ id, name, ...extra });
const br = (id: string, name: string, extra: Partial<BridgeNode> = {}) => makeBridge({ id, name, ...extra });
const ep = (node: string, ifname: string, extra: Partial<Endpoint> = {}) => ({ node, ifname, ...extra });
const veth = (id: string, a: Parameters<typeof makeVeth>[0], b: Parameters<typeof makeVeth>[1]) =>
  makeVeth(a, b, { id });
/** Parsed, so the schema's rules and defaults apply as they do for a real lab. */
const mk = (nodes: object[], links: object[], name = 'demo') => Lab.parse({ version: 1, name, nodes, links });
const realize = (lab: Lab, o: ObservedState = emptyObserved()) => {
  const p = plan(lab, o);
  expect(p.errors).toEqual([]);
  return simulateAll(o, p.ops);
};
const kinds = (p: Plan) => p.ops.map((o) => o.kind);

/** Scenarios that, together with the golden cases, make the planner emit every op kind that has an inverse. */
function scenarios(): { before: ObservedState; ops: Operation[] }[] {
  const out: { before: ObservedState; ops: Operation[] }[] = [];
  const add = (lab: Lab, before: ObservedState) => out.push({ before, ops: plan(lab, before).ops });
  // Bridge change: port moves from br-a to br-b, STP on, MAC changed.
  const bridges = (port: string, stp: boolean, mac: string) =>
    mk(
      [{ id: 'host', kind: 'host' }, br('ba', 'br-a'), br('bb', 'br-b', { stp }), ns('red', 'red')],
      [veth('l1', ep('red', 'red-eth0', { mac }), ep(port, 'p1'))],
    );
  add(bridges('bb', true, '02:00:00:00:00:99'), realize(bridges('ba', false, '02:00:00:00:00:10')));
  // An empty owned namespace removed: its delete has an inverse.
  add(mk([], []), realize(mk([ns('red', 'red')], [])));
  // Every golden case.
  const dir = join(import.meta.dirname, '../test/fixtures/plan');
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const c = entry.name;
    if (!entry.isDirectory() || c.startsWith('destroy-')) continue;
    const desired = Lab.parse(JSON.parse(readFileSync(join(dir, c, 'desired.json'), 'utf8')));
    add(desired, JSON.parse(readFileSync(join(dir, c, 'observed.json'), 'utf8')) as ObservedState);
  }
  return out;
}

describe('inverses', () => {
  it('op then its inverse restores the state just before the op, for every planned op kind', () => {
    const covered = new Set<OpKind>();
    for (const { before, ops } of scenarios()) {
      let state = before;
      for (const op of ops) {
        const after = simulate(state, op);
        if (op.inverse) {
          expect(normalize(simulate(after, op.inverse)), `${op.kind} ${describeOp(op)}`).toEqual(normalize(state));
          covered.add(op.kind);
        }
        state = after;
      }
    }
    const expected: OpKind[] = [
      'netns.create',
      'netns.delete',
      'netns.setForwarding',
      'bridge.create',
      'bridge.setStp',
      'veth.create',
      'link.rename',
      'link.setUp',
      'link.setMtu',
      'link.setMac',
      'link.setMaster',
      'addr.add',
      'addr.del',
      'route.add',
      'route.del',
      'qdisc.replace',
      'qdisc.delete',
      'nat.apply',
      'nat.delete',
      'sysctl.set',
      'iface.create',
      'bridge.setVlanFiltering',
      'bridge.vlanAdd',
      'bridge.vlanDel',
    ];
    expect([...covered].sort()).toEqual(expected.sort());
  });

  it('the inverse of a delete is null unless the object can be recreated faithfully', () => {
    const lab = mk([ns('red', 'red'), ns('blue', 'blue')], [veth('l1', ep('red', 'a0'), ep('blue', 'b0'))]);
    const p = plan(mk([ns('red', 'red')], []), realize(lab));
    expect(p.ops.map((o) => [o.kind, o.inverse])).toEqual([['netns.delete', null]]);
  });
});

describe('canonical forms', () => {
  it.each([
    ['10.0.0.1/24', '10.0.0.1/24'],
    ['FD00:0:0::01/64', 'fd00::1/64'],
    ['2001:db8:0:0:1:0:0:1/128', '2001:db8::1:0:0:1/128'],
    ['fd00:0:0:1::/64', 'fd00:0:0:1::/64'],
    ['::1/128', '::1/128'],
    ['::/0', '::/0'],
    ['::ffff:10.0.0.1/128', '::ffff:10.0.0.1/128'],
  ])('%s → %s', (input, out) => {
    expect(canonicalCidr(input)).toBe(out);
  });
  it('IPv4 and IPv6 addresses', () => {
    expect(canonicalIp('2001:DB8::0001')).toBe('2001:db8::1');
    expect(canonicalIp('10.0.0.1')).toBe('10.0.0.1');
  });
  it('an address written differently is not a change', () => {
    const lab = (a: string) =>
      mk([ns('red', 'red'), ns('blue', 'blue')], [veth('l1', ep('red', 'a0', { addresses: [a] }), ep('blue', 'b0'))]);
    expect(plan(lab('FD00:0::1/64'), realize(lab('fd00::1/64'))).ops).toEqual([]);
  });
});

describe('plan', () => {
  const two = mk([ns('red', 'red'), ns('blue', 'blue')], [veth('l1', ep('red', 'red-eth0'), ep('blue', 'blue-eth0'))]);

  it('a name freed by a deletion earlier in the same plan is not a conflict', () => {
    const before = realize(two);
    const after = mk(
      [ns('red', 'red'), ns('blue', 'blue')],
      [veth('l2', ep('red', 'red-eth0'), ep('blue', 'blue-eth0'))],
    );
    const p = plan(after, before);
    expect(p.errors).toEqual([]);
    expect(kinds(p)).toEqual(['link.delete', 'veth.create', 'link.setUp', 'link.setUp']);
    expect(plan(after, simulateAll(before, p.ops)).ops).toEqual([]);
  });

  it('a veth whose one end lost its marker is rebuilt, and the unmarked peer is not a conflict', () => {
    const o = structuredClone(realize(two));
    const b = o.namespaces.blue!.links.find((l) => l.ifname === 'blue-eth0')!;
    delete b.alias;
    b.marker = null;
    const p = plan(two, o);
    expect(p.errors).toEqual([]);
    expect(kinds(p).slice(0, 2)).toEqual(['link.delete', 'veth.create']);
  });

  it('never touches a foreign interface even when it sits in an owned namespace’s peer position', () => {
    const o = structuredClone(realize(two));
    o.root.links.push({
      netns: null,
      ifindex: 77,
      ifname: 'eth0',
      kind: 'physical',
      marker: null,
      adminUp: true,
      operstate: 'UP',
      mtu: 1500,
      addresses: ['192.168.1.2/24'],
    });
    expect(plan(two, o).ops).toEqual([]);
    expect(planDestroy('demo', o).ops.every((op) => !('ifname' in op) || op.ifname !== 'eth0')).toBe(true);
  });

  it('inconsistent peer data never leaves half a veth kept', () => {
    const o = structuredClone(realize(two));
    o.namespaces.blue!.links.push({
      netns: 'blue',
      ifindex: 99,
      ifname: 'zz',
      kind: 'veth',
      alias: 'netloom:demo:l9#0',
      marker: { lab: 'demo', object: 'l9#0' },
      adminUp: true,
      operstate: 'UP',
      mtu: 1500,
      peer: { netns: 'blue', ifname: 'blue-eth0', ifindex: 3 },
      addresses: [],
    });
    const p = plan(two, o);
    expect(p.ops.filter((op) => op.kind === 'link.delete').map((op) => describeOp(op))).toEqual([
      'delete zz in blue',
      'delete red-eth0 in red',
    ]);
    expect(kinds(p)).toContain('veth.create');
  });

  it('a Conflict error names the object and the foreign owner, and the plan has no ops', () => {
    const o = emptyObserved();
    o.namespaces.blue = { name: 'blue', marker: { lab: 'other', object: 'x' }, links: [], routes: [] };
    const p = plan(two, o);
    expect(p.ops).toEqual([]);
    expect(p.errors).toHaveLength(1);
    expect(p.errors[0]).toMatchObject({ code: 'Conflict', object: 'blue', path: 'nodes.1.name' });
    expect(p.errors[0]!.message).toContain("lab 'other'");
    expect(p.errors[0]!.message).toContain("lab 'demo'");
  });

  it('a dangling reference is an InvalidLab error, not a crash', () => {
    const bad = Lab.parse({
      version: 1,
      name: 'demo',
      nodes: [ns('red', 'red')],
      links: [veth('l1', ep('red', 'a0'), ep('nope', 'b0'))],
    });
    const p = plan(bad, emptyObserved());
    expect(p.ops).toEqual([]);
    expect(p.errors[0]).toMatchObject({ code: 'InvalidLab', path: 'links.0.endpoints.1.node' });
  });

  it('with liveRename, a rename is one op and addresses and routes are not touched', () => {
    const lab = (ifname: string) =>
      mk(
        [ns('red', 'red', { routes: [{ to: '10.9.0.0/24', via: '10.0.0.2' }] }), ns('blue', 'blue')],
        [
          veth(
            'l1',
            ep('red', ifname, { addresses: ['10.0.0.1/24', 'fd00::1/64'] }),
            ep('blue', 'b0', { addresses: ['10.0.0.2/24'] }),
          ),
        ],
      );
    const before = realize(lab('a0'));
    expect(kinds(plan(lab('a1'), before))).toEqual([
      'route.del',
      'addr.del',
      'link.setUp',
      'link.rename',
      'link.setUp',
      'addr.add',
      'route.add',
    ]);
    const live = plan(lab('a1'), before, { liveRename: true });
    expect(live.ops.map((op) => describeOp(op))).toEqual(['rename a0 → a1 in red']);
  });

  it('leaves routes over a foreign interface in an owned namespace alone', () => {
    const o = structuredClone(realize(two));
    const red = o.namespaces.red!;
    red.links.push({
      netns: 'red',
      ifindex: 50,
      ifname: 'dum0',
      kind: 'dummy',
      marker: null,
      adminUp: true,
      operstate: 'UP',
      mtu: 1500,
      addresses: ['172.16.0.1/24'],
    });
    red.routes.push({ family: 4, to: '172.17.0.0/24', via: '172.16.0.2', dev: 'dum0', protocol: 'static' });
    expect(plan(two, o).ops).toEqual([]);
    expect(status(two, o, { observed: 1, applied: 1 }, 'now').objects.red!.state).toBe('ready');
  });

  it('ignores kernel routes and IPv6 link-local addresses', () => {
    const o = structuredClone(realize(two));
    const red = o.namespaces.red!;
    red.routes.push({ family: 4, to: '10.9.0.0/24', dev: 'red-eth0', protocol: 'kernel' });
    red.routes.push({ family: 6, to: 'fe80::/64', dev: 'red-eth0', metric: 256, protocol: 'kernel' });
    red.links.find((l) => l.ifname === 'red-eth0')!.addresses.push('fe80::1/64');
    expect(plan(two, o).ops).toEqual([]);
  });

  it('a link designed down is set down, and its IPv6 addresses survive (removed and re-added)', () => {
    const lab = (up: boolean) =>
      mk(
        [ns('red', 'red'), ns('blue', 'blue')],
        [veth('l1', ep('red', 'a0', { up, addresses: ['fd00::1/64'] }), ep('blue', 'b0'))],
      );
    const before = realize(lab(true));
    const p = plan(lab(false), before);
    expect(kinds(p)).toEqual(['addr.del', 'link.setUp', 'addr.add']);
    expect(plan(lab(false), simulateAll(before, p.ops)).ops).toEqual([]);
  });
});

describe('planDestroy', () => {
  it('an empty observation plans nothing', () => {
    expect(planDestroy('demo', emptyObserved())).toEqual({ ops: [], errors: [] });
  });

  it('deletes each veth once and leaves another lab alone', () => {
    const lab = mk(
      [{ id: 'host', kind: 'host' }, br('lan', 'br-lan')],
      [veth('l1', ep('host', 'h0'), ep('lan', 'p0')), veth('l2', ep('host', 'h1'), ep('lan', 'p1'))],
    );
    const other = mk([ns('x', 'x')], [veth('l1', ep('x', 'x0'), ep('x', 'x1'))], 'other');
    const o = realize(other, realize(lab));
    const p = planDestroy('demo', o);
    expect(p.ops.map((op) => describeOp(op))).toEqual(['delete h0', 'delete h1', 'delete br-lan']);
    const expected = structuredClone(o);
    expected.root.links = expected.root.links.filter((l) => l.marker?.lab !== 'demo');
    expect(normalize(simulateAll(o, p.ops))).toEqual(normalize(expected));
  });
});

describe('describe', () => {
  it('gives short human text', () => {
    const p = plan(two(), emptyObserved());
    expect(p.ops.map((op) => describeOp(op))).toEqual([
      'create namespace red',
      'create namespace blue',
      'create veth red-eth0 ↔ blue-eth0',
      'bring up red-eth0 in red',
      'bring up blue-eth0 in blue',
      'add 10.0.0.1/24 to red-eth0 in red',
    ]);
    expect(describeOp({ kind: 'link.rename', netns: null, from: 'a', to: 'b' })).toBe('rename a → b');
    expect(describeOp({ kind: 'link.setMaster', netns: 'sw', ifname: 'p1', master: null })).toBe(
      'detach p1 from its bridge in sw',
    );
  });
  function two() {
    return mk(
      [ns('red', 'red'), ns('blue', 'blue')],
      [veth('l1', ep('red', 'red-eth0', { addresses: ['10.0.0.1/24'] }), ep('blue', 'blue-eth0'))],
    );
  }
});
