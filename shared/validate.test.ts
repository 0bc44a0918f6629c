import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Issue, Issue as IssueSchema } from './errors';
import type { Endpoint, Lab, LabNode, Route } from './lab';
import { canonicalCidr, canonicalIp, formatCidr, hasHostBits, parseCidr, subnetOf } from './net';
import { makeBridge, makeHost, makeLab, makeNamespace, makeVeth } from './testing/factories';
import { MAX_ISSUES, validate } from './validate';

type Want = Partial<Pick<Issue, 'severity' | 'object'>> & { code: string; path: Issue['path'] };

/** The lab is rejected (or warned about) with exactly this issue among its issues. */
function expectIssue(input: unknown, want: Want): Issue {
  const result = validate(input);
  const hit = result.issues.find((i) => i.code === want.code && JSON.stringify(i.path) === JSON.stringify(want.path));
  expect(
    hit,
    `expected ${want.code} at ${JSON.stringify(want.path)}; got ${JSON.stringify(result.issues)}`,
  ).toBeDefined();
  const severity = want.severity ?? 'error';
  expect(hit!.severity).toBe(severity);
  if (want.object !== undefined) expect(hit!.object).toBe(want.object);
  if (severity === 'error') expect(result.ok).toBe(false);
  expect(hit!.message.length).toBeGreaterThan(10);
  return hit!;
}

/** The lab is accepted and none of its issues has this code (or no issues at all when code is omitted). */
function expectAccepted(input: unknown, code?: string): void {
  const result = validate(input);
  const relevant = code === undefined ? result.issues : result.issues.filter((i) => i.code === code);
  expect(relevant, JSON.stringify(result.issues)).toEqual([]);
  expect(result.ok).toBe(true);
}

const ns = (id: string, extra: Partial<Extract<LabNode, { kind: 'namespace' }>> = {}) =>
  makeNamespace({ id, ...extra });
const ep = (node: string, ifname: string, addresses: string[] = [], extra: Partial<Endpoint> = {}) => ({
  node,
  ifname,
  addresses,
  ...extra,
});
const labWithRoutes = (routes: Route[], extra: Partial<Lab> = {}): Lab =>
  makeLab({
    nodes: [ns('ns1', { routes }), ns('ns2', { forwarding: true })],
    ...extra,
  });

describe('the default test lab', () => {
  it('is valid with no issues', () => {
    const result = validate(makeLab());
    expect(result).toEqual({ ok: true, lab: makeLab(), issues: [] });
  });

  it('fills in defaults from the lab file shape', () => {
    const result = validate({
      version: 1,
      name: 'x',
      nodes: [{ id: 'a', kind: 'namespace', name: 'a' }],
      links: [],
    });
    expect(result.ok && result.lab.nodes[0]).toEqual({
      id: 'a',
      kind: 'namespace',
      name: 'a',
      forwarding: false,
      routes: [],
    });
  });
});

describe('structure (schema)', () => {
  it.each([null, undefined, 42, 'lab', [], true])('rejects a document that is %j', (input) => {
    const result = validate(input);
    expect(result.ok).toBe(false);
    expect(result.issues).toEqual([expect.objectContaining({ path: [], code: 'WrongType', severity: 'error' })]);
  });

  it('names a missing field by its path', () => {
    const { links: _, ...noLinks } = makeLab();
    expectIssue(noLinks, { code: 'MissingField', path: ['links'] });
  });

  it('rejects an unknown field at its own path and names the object', () => {
    const lab = makeLab() as unknown as { nodes: Record<string, unknown>[] };
    lab.nodes[1]!.colour = 'red';
    expectIssue(lab, { code: 'UnknownField', path: ['nodes', 1, 'colour'], object: 'ns2' });
  });

  it('names the endpoint (`link#1`) for a problem inside a veth end', () => {
    const lab = makeLab();
    (lab.links[0]!.endpoints[1] as Record<string, unknown>).speed = 10;
    expectIssue(lab, { code: 'UnknownField', path: ['links', 0, 'endpoints', 1, 'speed'], object: 'link1#1' });
  });

  it('rejects an unknown kind', () => {
    const lab = makeLab() as unknown as { nodes: Record<string, unknown>[] };
    lab.nodes[0]!.kind = 'router';
    expectIssue(lab, { code: 'UnknownKind', path: ['nodes', 0, 'kind'], object: 'ns1' });
  });

  it('rejects another format version (a newer one says so: migrate.ts)', () => {
    expectIssue({ ...makeLab(), version: 2 }, { code: 'VersionTooNew', path: ['version'] });
    expectIssue({ ...makeLab(), version: 0 }, { code: 'VersionUnknown', path: ['version'] });
  });

  it('rejects a wrong type with a readable message', () => {
    const issue = expectIssue({ ...makeLab(), nodes: {} }, { code: 'WrongType', path: ['nodes'] });
    expect(issue.message).toBe('"nodes" must be an array, not an object');
  });

  describe('__proto__ and constructor keys', () => {
    it('an own "__proto__" key from JSON.parse is an unknown field, and Object.prototype stays clean', () => {
      const text = `{"__proto__": {"polluted": "yes"}, "version": 1, "name": "x", "nodes": [
        {"id": "a", "kind": "namespace", "name": "a", "__proto__": {"polluted": "yes"}}], "links": []}`;
      const input = JSON.parse(text);
      expect(Object.hasOwn(input, '__proto__')).toBe(true);
      const result = validate(input);
      expect(result.ok).toBe(false);
      expect(result.issues).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ code: 'UnknownField', path: ['__proto__'] }),
          expect.objectContaining({ code: 'UnknownField', path: ['nodes', 0, '__proto__'], object: 'a' }),
        ]),
      );
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.prototype).not.toHaveProperty('polluted');
    });

    it('"constructor" and "prototype" keys are unknown fields too', () => {
      const input = JSON.parse(
        '{"version":1,"name":"x","nodes":[],"links":[],"constructor":{"prototype":{"polluted":1}},"prototype":{}}',
      );
      const result = validate(input);
      expect(result.issues.map((i) => i.path)).toEqual([['constructor'], ['prototype']]);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('a namespace called "constructor" or "__proto__" is just a name (maps, not objects, index names)', () => {
      expectAccepted(makeLab({ nodes: [ns('constructor'), ns('ns2')], links: [] }));
      expectAccepted(
        makeLab({
          nodes: [ns('ns1'), ns('ns2', { name: '__proto__' })],
        }),
      );
    });
  });

  describe('MTU', () => {
    const withMtu = (mtu: unknown) => {
      const lab = makeLab();
      (lab.links[0]!.endpoints[0] as Record<string, unknown>).mtu = mtu;
      (lab.links[0]!.endpoints[1] as Record<string, unknown>).mtu = mtu;
      return lab;
    };
    it.each([68, 1500, 9000, 65535])('accepts %d', (mtu) => expectAccepted(withMtu(mtu)));
    it.each([
      [67, 'TooSmall'],
      [0, 'TooSmall'],
      [-1500, 'TooSmall'],
      [65536, 'TooBig'],
      [1500.5, 'WrongType'],
      [Number.NaN, 'WrongType'],
      [Number.POSITIVE_INFINITY, 'WrongType'],
      ['1500', 'WrongType'],
    ])('rejects %s', (mtu, code) => {
      expectIssue(withMtu(mtu), { code, path: ['links', 0, 'endpoints', 0, 'mtu'], object: 'link1#0' });
    });
    it('different MTUs on the two ends of a veth are a warning', () => {
      const lab = makeLab();
      lab.links[0]!.endpoints[1].mtu = 9000;
      expectIssue(lab, { code: 'MtuMismatch', path: ['links', 0, 'endpoints', 1, 'mtu'], severity: 'warning' });
    });
  });

  describe('MAC', () => {
    const withMac = (mac: string) => {
      const lab = makeLab();
      lab.links[0]!.endpoints[0].mac = mac;
      return lab;
    };
    it.each(['02:00:00:00:00:01', '02:AA:bb:CC:dd:EE', 'fe:ff:ff:ff:ff:ff'])('accepts %s', (mac) =>
      expectAccepted(withMac(mac)),
    );
    it.each([
      ['01:00:5e:00:00:01', 'MulticastMac'],
      ['ff:ff:ff:ff:ff:ff', 'MulticastMac'],
      ['00:00:00:00:00:00', 'ZeroMac'],
      ['02:00:00:00:00', 'InvalidFormat'],
      ['02-00-00-00-00-01', 'InvalidFormat'],
      ['0200.0000.0001', 'InvalidFormat'],
    ])('rejects %s (%s)', (mac, code) => {
      expectIssue(withMac(mac), { code, path: ['links', 0, 'endpoints', 0, 'mac'], object: 'link1#0' });
    });
    it('rejects the same MAC twice on one segment, not on different segments', () => {
      const lab = makeLab();
      lab.links[0]!.endpoints[0].mac = '02:00:00:00:00:01';
      lab.links[0]!.endpoints[1].mac = '02:00:00:00:00:01';
      expectIssue(lab, { code: 'DuplicateMac', path: ['links', 0, 'endpoints', 1, 'mac'], object: 'link1#1' });
      expectAccepted(
        makeLab({
          nodes: [ns('a'), ns('b'), ns('c'), ns('d')],
          links: [
            makeVeth(ep('a', 'e0', [], { mac: '02:00:00:00:00:01' }), 'b'),
            makeVeth(ep('c', 'e0', [], { mac: '02:00:00:00:00:01' }), 'd'),
          ],
        }),
      );
    });
  });
});

describe('kernel names', () => {
  const withIfname = (ifname: string) => {
    const lab = makeLab();
    lab.links[0]!.endpoints[0].ifname = ifname;
    return lab;
  };
  it.each(['eth0', 'abcdefghijklmn', 'abcdefghijklmno', 'veth.1', 'x_y-z'])('accepts the interface name %j', (name) =>
    expectAccepted(withIfname(name)),
  );
  it.each([
    'abcdefghijklmné', // 15 characters but 16 bytes: IFNAMSIZ counts bytes
    'abcdefghijklmnop',
    'x'.repeat(65),
    '-x',
    '.x',
    'dev',
    'h',
    'eth%d',
    '',
  ])('rejects the interface name %j at its path', (name) => {
    const r = validate(withIfname(name));
    expect(r.ok).toBe(false);
    expect(r.issues).toEqual([
      expect.objectContaining({ path: ['links', 0, 'endpoints', 0, 'ifname'], object: 'link1#0', severity: 'error' }),
    ]);
  });

  it.each(['.', '..', '.x', 'a/b', 'default', 'x'.repeat(65)])('rejects the namespace name %j', (name) => {
    expectIssue(makeLab({ nodes: [ns('ns1', { name }), ns('ns2')] }), {
      code: 'InvalidName',
      path: ['nodes', 0, 'name'],
      object: 'ns1',
    });
  });

  it('rejects "lo" as an interface or bridge name: every namespace has it already', () => {
    expectIssue(withIfname('lo'), {
      code: 'ReservedName',
      path: ['links', 0, 'endpoints', 0, 'ifname'],
      object: 'link1#0',
    });
    expectIssue(makeLab({ nodes: [...makeLab().nodes, makeBridge({ id: 'br', name: 'lo' })] }), {
      code: 'ReservedName',
      path: ['nodes', 2, 'name'],
      object: 'br',
    });
  });

  it('a name of 1 MB is rejected quickly with a short message', () => {
    const big = 'x'.repeat(1_000_000);
    const started = performance.now();
    const r = validate(withIfname(big));
    // A guard against hangs, not a speed target (speed is measured by `npm run bench`).
    expect(performance.now() - started).toBeLessThan(3000);
    expect(r.issues).toHaveLength(1);
    expect(r.issues[0]!.message.length).toBeLessThan(200);
  });
});

describe('ids and references', () => {
  it('ids are unique across nodes and links', () => {
    expectIssue(makeLab({ nodes: [ns('ns1'), ns('ns1', { name: 'other' }), ns('ns2')] }), {
      code: 'DuplicateId',
      path: ['nodes', 1, 'id'],
      object: 'ns1',
    });
    const lab = makeLab();
    lab.links[0]!.id = 'ns2';
    expectIssue(lab, { code: 'DuplicateId', path: ['links', 0, 'id'], object: 'ns2' });
    lab.links[0]!.id = 'l';
    lab.links.push(makeVeth(ep('ns1', 'eth1'), ep('ns2', 'eth1'), { id: 'l' }));
    expectIssue(lab, { code: 'DuplicateId', path: ['links', 1, 'id'], object: 'l' });
  });

  it('namespace names are unique', () => {
    expectIssue(makeLab({ nodes: [ns('ns1'), ns('ns2', { name: 'ns1' })] }), {
      code: 'DuplicateName',
      path: ['nodes', 1, 'name'],
      object: 'ns2',
    });
  });

  it('at most one host node', () => {
    expectAccepted(makeLab({ nodes: [...makeLab().nodes, makeHost()] }));
    expectIssue(makeLab({ nodes: [...makeLab().nodes, makeHost(), makeHost({ id: 'host2' })] }), {
      code: 'TooManyHosts',
      path: ['nodes', 3],
      object: 'host2',
    });
  });

  it('a bridge lives in an existing namespace node', () => {
    const nodes = [...makeLab().nodes, makeHost()];
    expectAccepted(makeLab({ nodes: [...nodes, makeBridge({ namespace: 'ns1' })] }));
    expectIssue(makeLab({ nodes: [...nodes, makeBridge({ namespace: 'nope' })] }), {
      code: 'UnknownNamespace',
      path: ['nodes', 3, 'namespace'],
      object: 'br1',
    });
    expectIssue(makeLab({ nodes: [...nodes, makeBridge({ namespace: 'host' })] }), {
      code: 'NotANamespace',
      path: ['nodes', 3, 'namespace'],
      object: 'br1',
    });
  });

  it('an endpoint names an existing node', () => {
    const lab = makeLab();
    lab.links[0]!.endpoints[1].node = 'ghost';
    expectIssue(lab, { code: 'DanglingEndpoint', path: ['links', 0, 'endpoints', 1, 'node'], object: 'link1#1' });
  });

  it('a veth joins two distinct interfaces; both ends in one namespace with different names is allowed', () => {
    const nodes = [ns('ns1')];
    expectIssue(makeLab({ nodes, links: [makeVeth(ep('ns1', 'a'), ep('ns1', 'a'), { id: 'loop' })] }), {
      code: 'VethSelfLoop',
      path: ['links', 0, 'endpoints', 1, 'ifname'],
      object: 'loop#1',
    });
    const r = validate(makeLab({ nodes, links: [makeVeth(ep('ns1', 'a'), ep('ns1', 'a'))] }));
    expect(r.issues.map((i) => i.code)).toEqual(['VethSelfLoop']); // not also DuplicateInterfaceName
    expectAccepted(makeLab({ nodes, links: [makeVeth(ep('ns1', 'a'), ep('ns1', 'b'))] }));
  });
});

describe('interface names per namespace', () => {
  it('two interfaces of one namespace cannot share a name', () => {
    const lab = makeLab({ nodes: [ns('ns1'), ns('ns2'), ns('ns3')] });
    lab.links.push(makeVeth(ep('ns1', 'eth0'), ep('ns3', 'eth0'), { id: 'link2' }));
    expectIssue(lab, {
      code: 'DuplicateInterfaceName',
      path: ['links', 1, 'endpoints', 0, 'ifname'],
      object: 'link2#0',
    });
  });

  it('the same name in different namespaces is fine', () => {
    expectAccepted(makeLab()); // both ends are eth0
  });

  it('the host and bridges without a namespace share the root namespace', () => {
    const lab = makeLab({
      nodes: [ns('ns1'), makeHost(), makeBridge({ id: 'br0', name: 'br0' })],
      links: [makeVeth(ep('ns1', 'eth0'), ep('host', 'br0'), { id: 'up' })],
    });
    expectIssue(lab, { code: 'DuplicateInterfaceName', path: ['links', 0, 'endpoints', 1, 'ifname'], object: 'up#1' });
  });

  it('a bridge port lives in the bridge namespace', () => {
    const nodes = [ns('sw'), ns('a'), ns('b'), makeBridge({ id: 'br0', namespace: 'sw' })];
    // sw already has an interface "p1" (its own veth to b), and a port of br0 is also called p1.
    const clash = makeLab({
      nodes,
      links: [
        makeVeth(ep('a', 'eth0'), ep('br0', 'p1'), { id: 'l1' }),
        makeVeth(ep('sw', 'p1'), ep('b', 'eth0'), { id: 'l2' }),
      ],
    });
    expectIssue(clash, {
      code: 'DuplicateInterfaceName',
      path: ['links', 1, 'endpoints', 0, 'ifname'],
      object: 'l2#0',
    });
    // The same port name on a root-namespace bridge does not clash with a name inside sw.
    const fine = makeLab({
      nodes: [...nodes.slice(0, 3), makeBridge({ id: 'br0' })],
      links: clash.links,
    });
    expectAccepted(fine, 'DuplicateInterfaceName');
  });

  it('a bridge name clashes with another interface of its namespace', () => {
    const lab = makeLab({ nodes: [ns('ns1'), ns('ns2'), makeBridge({ id: 'b', name: 'eth0', namespace: 'ns1' })] });
    expectIssue(lab, {
      code: 'DuplicateInterfaceName',
      path: ['links', 0, 'endpoints', 0, 'ifname'],
      object: 'link1#0',
    });
  });
});

describe('bridges', () => {
  const lan = (ports: number, extra: Partial<Extract<LabNode, { kind: 'bridge' }>> = {}): Lab =>
    makeLab({
      nodes: [ns('big'), makeBridge({ id: 'br0', ...extra })],
      links: Array.from({ length: ports }, (_, k) => makeVeth(ep('big', `p${k}`), ep('br0', `b${k}`), { id: `l${k}` })),
    });

  it('takes up to 1023 ports; the 1024th is refused by the kernel ("Exchange full")', () => {
    expectAccepted(lan(1023));
    expectIssue(lan(1024), { code: 'TooManyPorts', path: ['nodes', 1], object: 'br0' });
  });

  it('a veth with both ends on one bridge is a loop: an error without STP, a warning with it', () => {
    const nodes = [makeBridge({ id: 'br0' })];
    const links = [makeVeth(ep('br0', 'x'), ep('br0', 'y'), { id: 'loop' })];
    expectIssue(makeLab({ nodes, links }), { code: 'BridgeLoop', path: ['links', 0], object: 'loop' });
    expectIssue(makeLab({ nodes: [makeBridge({ id: 'br0', stp: true })], links }), {
      code: 'BridgeLoop',
      path: ['links', 0],
      object: 'loop',
      severity: 'warning',
    });
  });

  it('two bridges joined twice form a loop; a chain does not', () => {
    const nodes = [makeBridge({ id: 'a' }), makeBridge({ id: 'b' }), makeBridge({ id: 'c' })];
    const ab = makeVeth(ep('a', 'a-b'), ep('b', 'b-a'), { id: 'ab' });
    const bc = makeVeth(ep('b', 'b-c'), ep('c', 'c-b'), { id: 'bc' });
    const ca = makeVeth(ep('c', 'c-a'), ep('a', 'a-c'), { id: 'ca' });
    expectAccepted(makeLab({ nodes, links: [ab, bc] }));
    expectIssue(makeLab({ nodes, links: [ab, bc, ca] }), { code: 'BridgeLoop', path: ['links', 2], object: 'ca' });
  });

  it('an address on a bridge port is a warning: the bridge answers, put it there', () => {
    const lab = lan(1);
    lab.links[0]!.endpoints[1].addresses = ['10.0.0.9/24'];
    expectIssue(lab, {
      code: 'AddressOnBridgePort',
      path: ['links', 0, 'endpoints', 1, 'addresses'],
      object: 'l0#1',
      severity: 'warning',
    });
    expectAccepted(lan(1, { addresses: ['10.0.0.9/24'] }));
  });
});

describe('interface addresses', () => {
  /** ns1 gets these addresses, ns2 none (so no reachability hint either). */
  const withAddress = (...addresses: string[]) => {
    const lab = makeLab();
    lab.links[0]!.endpoints[0].addresses = addresses;
    lab.links[0]!.endpoints[1].addresses = [];
    return lab;
  };
  const at0 = (k = 0) => ['links', 0, 'endpoints', 0, 'addresses', k];

  it.each(['10.0.0.1/24', '10.0.0.254/24', '10.0.0.0/31', '10.0.0.1/31', '10.0.0.0/32', '10.0.0.255/32'])(
    'accepts %s',
    (a) => expectAccepted(withAddress(a)),
  );
  it.each(['fd00::1/64', 'fd00::/127', 'fd00::/128', 'fd00::ffff:ffff:ffff:ffff/64', 'fe80::1/64'])('accepts %s', (a) =>
    expectAccepted(withAddress(a)),
  );

  it.each([
    ['10.0.0.0/24', 'NetworkAddress'],
    ['10.0.0.0/8', 'NetworkAddress'],
    ['10.0.0.0/30', 'NetworkAddress'],
    ['fd00::/64', 'NetworkAddress'],
    ['fd00::/126', 'NetworkAddress'],
    ['10.0.0.255/24', 'BroadcastAddress'],
    ['10.0.0.3/30', 'BroadcastAddress'],
    ['127.0.0.2/8', 'SpecialAddress'],
    ['224.0.0.5/24', 'SpecialAddress'],
    ['0.0.0.1/8', 'SpecialAddress'],
    ['255.255.255.255/32', 'SpecialAddress'],
    ['::1/128', 'SpecialAddress'],
    ['ff02::1/64', 'SpecialAddress'],
    ['FD00::1/64', 'NonCanonicalAddress'],
    ['fd00:0::1/64', 'NonCanonicalAddress'],
  ])('rejects %s (%s)', (a, code) => {
    expectIssue(withAddress(a), { code, path: at0(), object: 'link1#0' });
  });

  it('suggests a usable address for a network or broadcast address', () => {
    expect(expectIssue(withAddress('10.0.0.0/24'), { code: 'NetworkAddress', path: at0() }).message).toContain(
      '10.0.0.1/24',
    );
    expect(expectIssue(withAddress('10.0.0.255/24'), { code: 'BroadcastAddress', path: at0() }).message).toContain(
      '10.0.0.254/24',
    );
  });

  it('the same address twice on one interface', () => {
    expectIssue(withAddress('10.0.0.1/24', '10.0.0.1/24'), { code: 'DuplicateAddress', path: at0(1) });
  });

  it('the same address on both ends of one veth (one segment)', () => {
    const lab = makeLab();
    lab.links[0]!.endpoints[1].addresses = ['10.0.0.1/24'];
    expectIssue(lab, {
      code: 'DuplicateAddress',
      path: ['links', 0, 'endpoints', 1, 'addresses', 0],
      object: 'link1#1',
    });
  });

  it('the same address on a bridge and a host plugged into it (one segment)', () => {
    const lab = makeLab({
      nodes: [ns('a'), ns('b'), makeBridge({ id: 'br0', addresses: ['10.0.0.1/24'] })],
      links: [
        makeVeth(ep('a', 'eth0', ['10.0.0.2/24']), ep('br0', 'p-a'), { id: 'la' }),
        makeVeth(ep('b', 'eth0', ['10.0.0.1/24']), ep('br0', 'p-b'), { id: 'lb' }),
      ],
    });
    expectIssue(lab, { code: 'DuplicateAddress', path: ['links', 1, 'endpoints', 0, 'addresses', 0], object: 'lb#0' });
  });

  it('a clash is reported on the object just edited (validate(lab, { prefer }))', () => {
    const lab = makeLab({
      nodes: [ns('a'), ns('b'), makeBridge({ id: 'br0', addresses: ['10.0.0.1/24'] })],
      links: [
        makeVeth(ep('a', 'eth0', ['10.0.0.2/24']), ep('br0', 'p-a'), { id: 'la' }),
        makeVeth(ep('b', 'eth0', ['10.0.0.1/24']), ep('br0', 'p-b'), { id: 'lb' }),
      ],
    });
    const clash = (prefer?: string) =>
      validate(lab, prefer ? { prefer } : {}).issues.filter((i) => i.code === 'DuplicateAddress');
    expect(clash().map((i) => i.object)).toEqual(['lb#0']);
    expect(clash('br0').map((i) => [i.object, i.path.join('.')])).toEqual([['br0', 'nodes.2.addresses.0']]);
    expect(clash('lb#0').map((i) => i.object)).toEqual(['lb#0']);
    expect(clash('la#0').map((i) => i.object)).toEqual(['lb#0']); // not part of the clash: nothing moves
  });

  it('the same addresses on separate segments are fine', () => {
    const lab = makeLab({ nodes: [ns('a'), ns('b'), ns('c'), ns('d')] });
    lab.links = [
      makeVeth(ep('a', 'eth0', ['10.0.0.1/24']), ep('b', 'eth0', ['10.0.0.2/24'])),
      makeVeth(ep('c', 'eth0', ['10.0.0.1/24']), ep('d', 'eth0', ['10.0.0.2/24'])),
    ];
    expectAccepted(lab, 'DuplicateAddress');
  });

  it('overlapping subnets on different interfaces of one namespace', () => {
    const lab = makeLab({ nodes: [ns('r'), ns('a'), ns('b')] });
    lab.links = [
      makeVeth(ep('r', 'eth0', ['10.0.0.1/16']), ep('a', 'eth0', ['10.0.0.2/16']), { id: 'ra' }),
      makeVeth(ep('r', 'eth1', ['10.0.5.1/24']), ep('b', 'eth0', ['10.0.5.2/24']), { id: 'rb' }),
    ];
    const issue = expectIssue(lab, {
      code: 'OverlappingSubnet',
      path: ['links', 1, 'endpoints', 0, 'addresses', 0],
      object: 'rb#0',
    });
    expect(issue.message).toContain('10.0.0.1/16');
    lab.links[1]!.endpoints[0].addresses = ['10.1.5.1/24'];
    lab.links[1]!.endpoints[1].addresses = ['10.1.5.2/24'];
    expectAccepted(lab, 'OverlappingSubnet');
  });

  it('finds an overlap hidden behind a wider subnet of the same interface', () => {
    // r/eth0 has 10.0.0.1/8 and 10.200.0.1/16 (same interface: fine); r/eth1 has 10.100.0.1/24 inside the /8.
    const lab = makeLab({ nodes: [ns('r'), ns('a'), ns('b')] });
    lab.links = [
      makeVeth(ep('r', 'eth0', ['10.0.0.1/8', '10.200.0.1/16']), ep('a', 'eth0'), { id: 'ra' }),
      makeVeth(ep('r', 'eth1', ['10.100.0.1/24']), ep('b', 'eth0'), { id: 'rb' }),
    ];
    const r = validate(lab);
    expect(r.issues.filter((i) => i.code === 'OverlappingSubnet').map((i) => i.object)).toEqual(['rb#0']);
  });

  it('several addresses of one subnet on one interface are fine (secondary addresses)', () => {
    expectAccepted(withAddress('10.0.0.1/24', '10.0.0.3/24', 'fd00::1/64'));
  });
});

describe('routes', () => {
  const r0 = ['nodes', 0, 'routes', 0];
  it('a route to a network via a neighbour on a connected subnet is fine', () => {
    expectAccepted(labWithRoutes([{ to: '10.9.0.0/24', via: '10.0.0.2' }]));
    expectAccepted(labWithRoutes([{ to: 'default', via: '10.0.0.2' }]));
    expectAccepted(labWithRoutes([{ to: 'default', via: '10.0.0.2', dev: 'eth0', metric: 10 }]));
  });

  it('"to" must be a network address (no host bits)', () => {
    const issue = expectIssue(labWithRoutes([{ to: '10.9.0.1/24', via: '10.0.0.2' }]), {
      code: 'RouteHostBits',
      path: [...r0, 'to'],
      object: 'ns1',
    });
    expect(issue.message).toContain('10.9.0.0/24');
  });

  it('"via" must be on a subnet connected to the namespace', () => {
    const issue = expectIssue(labWithRoutes([{ to: 'default', via: '192.168.1.1' }]), {
      code: 'GatewayNotConnected',
      path: [...r0, 'via'],
      object: 'ns1',
    });
    expect(issue.message).toContain('10.0.0.0/24 on eth0');
  });

  it('"via" cannot be the namespace own address', () => {
    expectIssue(labWithRoutes([{ to: 'default', via: '10.0.0.1' }]), { code: 'GatewayIsLocal', path: [...r0, 'via'] });
  });

  it('"via" must match "dev" when both are given', () => {
    const lab = labWithRoutes([{ to: 'default', via: '10.0.0.2', dev: 'eth1' }], {
      nodes: [
        ns('ns1', { routes: [{ to: 'default', via: '10.0.0.2', dev: 'eth1' }] }),
        ns('ns2', { forwarding: true }),
        ns('ns3'),
      ],
    });
    lab.links.push(makeVeth(ep('ns1', 'eth1', ['10.5.0.1/24']), ep('ns3', 'eth0', ['10.5.0.2/24']), { id: 'link2' }));
    expectIssue(lab, { code: 'GatewayNotOnDev', path: [...r0, 'via'] });
  });

  it('a route through an interface that is set down is refused by the kernel', () => {
    const lab = labWithRoutes([{ to: 'default', via: '10.0.0.2' }]);
    lab.links[0]!.endpoints[0].up = false;
    expectIssue(lab, { code: 'GatewayInterfaceDown', path: [...r0, 'via'] });
  });

  it('the gateway and destination are of one family', () => {
    expectIssue(labWithRoutes([{ to: 'fd00:9::/64', via: '10.0.0.2' }]), {
      code: 'RouteFamilyMismatch',
      path: [...r0, 'via'],
    });
  });

  it('a link-local IPv6 gateway needs "dev"', () => {
    expectIssue(labWithRoutes([{ to: 'default', via: 'fe80::2' }]), {
      code: 'LinkLocalGatewayNeedsDev',
      path: [...r0, 'via'],
    });
    expectAccepted(labWithRoutes([{ to: 'default', via: 'fe80::2', dev: 'eth0' }]));
  });

  it('"dev" must name an interface of the namespace ("lo" included)', () => {
    expectIssue(labWithRoutes([{ to: '10.9.0.0/24', dev: 'eth7' }]), { code: 'UnknownDevice', path: [...r0, 'dev'] });
    expectAccepted(labWithRoutes([{ to: '10.9.0.0/24', dev: 'eth0' }]));
    expectAccepted(labWithRoutes([{ to: '10.9.0.0/24', dev: 'lo' }]));
  });

  it('needs "via" or "dev": with neither the kernel has nowhere to send the packets', () => {
    expectIssue(labWithRoutes([{ to: '10.9.0.0/24' }]), { code: 'RouteNeedsViaOrDev', path: r0 });
  });

  it('one route per destination and metric', () => {
    const dup = [
      { to: '10.9.0.0/24', via: '10.0.0.2' },
      { to: '10.9.0.0/24', dev: 'eth0' },
    ];
    expectIssue(labWithRoutes(dup), { code: 'DuplicateRoute', path: ['nodes', 0, 'routes', 1] });
    expectIssue(
      labWithRoutes([
        { to: 'default', via: '10.0.0.2' },
        { to: 'default', via: '10.0.0.2', metric: 0 },
      ]),
      { code: 'DuplicateRoute', path: ['nodes', 0, 'routes', 1] },
    );
    expectAccepted(labWithRoutes([dup[0]!, { ...dup[1]!, metric: 100 }]));
  });

  it('a route to a connected subnet with the kernel metric collides with the kernel route', () => {
    expectIssue(labWithRoutes([{ to: '10.0.0.0/24', dev: 'eth0' }]), {
      code: 'RouteShadowsConnected',
      path: [...r0, 'to'],
    });
    expectAccepted(labWithRoutes([{ to: '10.0.0.0/24', dev: 'eth0', metric: 50 }]));
  });

  it('warns when nothing has the gateway address, or its namespace does not forward', () => {
    expectIssue(labWithRoutes([{ to: 'default', via: '10.0.0.9' }]), {
      code: 'GatewayAbsent',
      path: [...r0, 'via'],
      severity: 'warning',
    });
    const lab = makeLab({ nodes: [ns('ns1', { routes: [{ to: 'default', via: '10.0.0.2' }] }), ns('ns2')] });
    expectIssue(lab, { code: 'GatewayNotForwarding', path: [...r0, 'via'], severity: 'warning' });
  });

  it('addresses in routes are canonical', () => {
    expectIssue(labWithRoutes([{ to: 'FD00:9::/64', dev: 'eth0' }]), {
      code: 'NonCanonicalAddress',
      path: [...r0, 'to'],
    });
  });
});

describe('shell metacharacters in every kernel-bound field', () => {
  /** A lab using every kernel-bound string field once, with a valid value. */
  const full = (): Lab =>
    makeLab({
      nodes: [
        ns('ns1', { routes: [{ to: '10.9.0.0/24', via: '10.0.0.2', dev: 'eth0' }] }),
        ns('ns2', { forwarding: true }),
        ns('sw', { routes: [{ to: 'default', via: '10.9.0.2' }] }),
        makeBridge({ id: 'br', name: 'br0', namespace: 'sw', addresses: ['10.9.0.1/24'] }),
        makeHost(),
      ],
      links: [
        makeVeth(ep('ns1', 'eth0', ['10.0.0.1/24'], { mac: '02:00:00:00:00:01' }), ep('ns2', 'eth0', ['10.0.0.2/24']), {
          id: 'link1',
        }),
        makeVeth(ep('ns2', 'eth1', ['10.9.0.2/24']), ep('br', 'br0-ns2'), { id: 'link2' }),
      ],
    });
  const fields: [string, Issue['path']][] = [
    ['lab name', ['name']],
    ['node id', ['nodes', 4, 'id']],
    ['link id', ['links', 0, 'id']],
    ['namespace name', ['nodes', 0, 'name']],
    ['bridge name', ['nodes', 3, 'name']],
    ['bridge namespace reference', ['nodes', 3, 'namespace']],
    ['bridge address', ['nodes', 3, 'addresses', 0]],
    ['endpoint node reference', ['links', 0, 'endpoints', 1, 'node']],
    ['ifname', ['links', 0, 'endpoints', 0, 'ifname']],
    ['bridge port ifname', ['links', 1, 'endpoints', 1, 'ifname']],
    ['endpoint address', ['links', 0, 'endpoints', 0, 'addresses', 0]],
    ['mac', ['links', 0, 'endpoints', 0, 'mac']],
    ['route to', ['nodes', 0, 'routes', 0, 'to']],
    ['route via', ['nodes', 0, 'routes', 0, 'via']],
    ['route dev', ['nodes', 0, 'routes', 0, 'dev']],
  ];
  const metas = [';', '$(id)', '`id`', '|', '&', '>', ' ', '\n', "'", '"', '*', '\\', '\0'];

  function get(obj: unknown, path: Issue['path']): unknown {
    return path.reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], obj);
  }
  function set(obj: unknown, path: Issue['path'], value: unknown): void {
    const parent = get(obj, path.slice(0, -1)) as Record<string | number, unknown>;
    parent[path[path.length - 1]!] = value;
  }

  it('the base lab is valid', () => expectAccepted(full()));

  describe.each(fields)('%s', (_label, path) => {
    it.each(metas)('rejects %j at the field path, before any command could see it', (meta) => {
      for (const value of [`${get(full(), path)}${meta}x`, `${meta}${get(full(), path)}`]) {
        const lab = full();
        set(lab, path, value);
        const r = validate(lab);
        expect(r.ok).toBe(false);
        expect(r.issues.some((i) => i.severity === 'error' && JSON.stringify(i.path) === JSON.stringify(path))).toBe(
          true,
        );
      }
    });
  });

  it('prose fields (title, descriptions) accept metacharacters: they are shown to people, never passed to a command', () => {
    const text = 'Try: ip netns exec red ping -c 3 10.0.0.2; echo "$(id)" `id` | cat > /dev/null & *';
    const lab = full();
    lab.title = text.slice(0, 120);
    lab.description = `${text}\nsecond line\twith a tab`;
    for (const node of lab.nodes) node.description = text;
    for (const link of lab.links) link.description = text;
    expectAccepted(lab);
  });

  it('prose fields still reject control characters (they would corrupt terminals and logs)', () => {
    expectIssue({ ...full(), title: 'bell\u0007' }, { code: 'InvalidFormat', path: ['title'] });
  });
});

// The hang guards below (8–15 s) are the bounds; vitest's 5 s default must not fire first on a loaded machine.
describe('huge and hostile input', { timeout: 60_000 }, () => {
  // Guards against hangs and quadratic blow-ups on a loaded 2-core CI machine, not speed targets.
  const quick = (input: unknown, ms = 8000) => {
    const started = performance.now();
    const r = validate(input);
    expect(performance.now() - started).toBeLessThan(ms);
    return r;
  };

  it('validates 5000 namespaces on a hub with 5000 veths (10k objects) in well under a second', () => {
    const n = 5000;
    const nodes: LabNode[] = [ns('hub', { forwarding: true })];
    const links = [];
    for (let k = 0; k < n; k++) {
      nodes.push(ns(`n${k}`, { routes: [{ to: 'default', via: `10.${k >> 6}.${(k & 63) * 4}.1` }] }));
      const net = `10.${k >> 6}.${(k & 63) * 4}`;
      links.push(makeVeth(ep('hub', `h${k}`, [`${net}.1/30`]), ep(`n${k}`, 'eth0', [`${net}.2/30`]), { id: `l${k}` }));
    }
    const r = quick(makeLab({ nodes, links }));
    expect(r.issues).toEqual([]);
    expect(r.ok).toBe(true);
  });

  it('the largest lab the schema allows (10k namespaces, 20k veths, 60k addresses, 10k routes) never hangs', () => {
    // Measured ≈ 0.8 s on a laptop core (zod ≈ 0.15 s): every rule is O(n log n). The bound guards against an
    // O(n²) regression (which would take minutes), with headroom for a loaded CI machine.
    const nodes: LabNode[] = [];
    const links = [];
    for (let k = 0; k < 10_000; k++)
      nodes.push(ns(`n${k}`, { forwarding: true, routes: [{ to: 'default', via: `10.${k >> 8}.${k & 255}.2` }] }));
    for (let k = 0; k < 20_000; k++) {
      const net = `10.${k >> 8}.${k & 255}`;
      links.push(
        makeVeth(
          ep(`n${k % 10_000}`, `e${k}`, [`${net}.1/24`, `fd00:${(k + 1).toString(16)}::1/64`]),
          ep(`n${(k * 7 + 1) % 10_000}`, `f${k}`, [`${net}.2/24`]),
          { id: `l${k}` },
        ),
      );
    }
    const r = quick(makeLab({ nodes, links }), 15000);
    expect(r.issues.length).toBeLessThanOrEqual(MAX_ISSUES + 1);
  });

  it('10k overlapping subnets in one namespace: rejected quickly, issues capped', () => {
    const n = 5000;
    const nodes: LabNode[] = [ns('hub')];
    const links = [];
    for (let k = 0; k < n; k++) {
      nodes.push(ns(`n${k}`));
      links.push(makeVeth(ep('hub', `h${k}`, [`10.${k >> 8}.${k & 255}.1/8`]), ep(`n${k}`, 'eth0'), { id: `l${k}` }));
    }
    const r = quick(makeLab({ nodes, links }));
    expect(r.ok).toBe(false);
    expect(r.issues).toHaveLength(MAX_ISSUES + 1);
    expect(r.issues.at(-1)!.code).toBe('TooManyIssues');
  });

  it('more than 10000 nodes is rejected without looking at each one', () => {
    const r = quick({ ...makeLab(), nodes: Array.from({ length: 1_000_000 }, () => 1) });
    expect(r.issues).toEqual([expect.objectContaining({ code: 'TooBig', path: ['nodes'] })]);
  });

  it('1 MB strings in every field are rejected quickly with short messages', () => {
    const big = 'x'.repeat(1_000_000);
    const lab = makeLab({ name: big, title: big, description: big });
    lab.nodes[0]!.id = big;
    (lab.nodes[0] as { name: string }).name = big;
    lab.links[0]!.endpoints[0].ifname = big;
    lab.links[0]!.endpoints[0].addresses = [big];
    const r = quick(lab, 5000);
    expect(r.ok).toBe(false);
    expect(JSON.stringify(r.issues).length).toBeLessThan(5000);
  });

  it('deep nesting is rejected at the top, never recursed into', () => {
    let deep: unknown = 1;
    for (let k = 0; k < 100_000; k++) deep = [deep];
    expect(quick({ ...makeLab(), nodes: deep }).ok).toBe(false);
    expect(quick({ ...makeLab(), extra: deep }).ok).toBe(false);
  });

  it('never throws: proxies, throwing getters, cycles, bigints, symbol keys', () => {
    const throwing = new Proxy(
      {},
      {
        get() {
          throw new Error('boom');
        },
        ownKeys() {
          throw new Error('boom');
        },
      },
    );
    const getter = makeLab();
    Object.defineProperty(getter, 'name', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
    const cyclic: Record<string, unknown> = { ...makeLab() };
    cyclic.nodes = [cyclic];
    for (const input of [throwing, getter, cyclic, { ...makeLab(), version: 1n }]) {
      const r = quick(input);
      expect(r.ok).toBe(false);
      expect(r.issues.length).toBeGreaterThan(0);
    }
    // Symbol keys cannot come from JSON or YAML; they are ignored rather than rejected.
    expect(quick({ ...makeLab(), [Symbol('x')]: 1 }).ok).toBe(true);
  });
});

describe('property-based (fast-check)', () => {
  const IFNAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/;
  const NETNS = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
  const hostile = fc.constantFrom(
    'lo',
    '-x',
    '.',
    '..',
    'a;b',
    '$(id)',
    'é',
    'abcdefghijklmné',
    'abcdefghijklmnop',
    'eth%d',
    'dev',
    'h',
    '__proto__',
    'constructor',
    ' ',
    '',
  );
  /** Any text, biased towards plausible names so that a fair share of labs is accepted. */
  const text = (plausible: fc.Arbitrary<string>) =>
    fc.oneof({ weight: 6, arbitrary: plausible }, hostile, fc.string({ maxLength: 20 }));
  const id = text(fc.constantFrom('a', 'b', 'c', 'd', 'e'));
  const name = text(fc.stringMatching(/^[A-Za-z0-9_.-]{1,16}$/));
  const octet = fc.integer({ min: 0, max: 255 });
  const cidr = text(
    fc.oneof(
      fc.tuple(octet, octet, fc.integer({ min: 0, max: 32 })).map(([x, y, p]) => `10.${x}.0.${y}/${p}`),
      fc
        .tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 128 }))
        .map(([g, p]) => `fd00::${g.toString(16)}/${p}`),
      fc.constantFrom('FD00::1/64', 'fd00:0::1/64', '10.0.0.1/24', '10.0.0.2/24', '::ffff:10.0.0.1/120'),
    ),
  );
  const ip = text(
    fc.oneof(
      fc.tuple(octet, octet).map(([x, y]) => `10.${x}.0.${y}`),
      fc.constantFrom('fd00::1', 'FD00::2'),
    ),
  );
  const route = fc.record(
    { to: fc.oneof(fc.constant('default'), cidr), via: ip, dev: name, metric: fc.nat(10) },
    { requiredKeys: ['to'] },
  );
  const node = fc.oneof(
    fc.record(
      { id, kind: fc.constant('namespace'), name, forwarding: fc.boolean(), routes: fc.array(route, { maxLength: 2 }) },
      { requiredKeys: ['id', 'kind', 'name'] },
    ),
    fc.record(
      {
        id,
        kind: fc.constant('bridge'),
        name,
        namespace: id,
        stp: fc.boolean(),
        addresses: fc.array(cidr, { maxLength: 2 }),
      },
      { requiredKeys: ['id', 'kind', 'name'] },
    ),
    fc.record({ id, kind: fc.constant('host') }),
  );
  const endpoint = fc.record(
    {
      node: id,
      ifname: name,
      addresses: fc.array(cidr, { maxLength: 2 }),
      mtu: fc.integer({ min: 0, max: 70000 }),
      mac: text(fc.constantFrom('02:00:00:00:00:01', '02:00:00:00:00:02', '03:00:00:00:00:01')),
      up: fc.boolean(),
    },
    { requiredKeys: ['node', 'ifname'] },
  );
  const link = fc.record({ id, kind: fc.constant('veth'), endpoints: fc.tuple(endpoint, endpoint) });
  const lab = fc.record(
    {
      version: fc.constant(1),
      name: text(fc.constantFrom('lab', 'my-lab')),
      title: fc.string(),
      nodes: fc.array(node, { maxLength: 6 }),
      links: fc.array(link, { maxLength: 5 }),
    },
    { requiredKeys: ['version', 'name', 'nodes', 'links'] },
  );

  /**
   * A valid lab (namespaces joined by veths, one subnet per link, routes via a neighbour) in which any field
   * may be replaced by hostile, arbitrary or plausible-but-wrong text: so accepted labs with addresses and
   * routes are common, and every field is attacked.
   */
  const mutant = fc.oneof(
    hostile,
    fc.string({ maxLength: 20 }),
    fc.constantFrom(
      'FD00:1::1/64',
      '10.0.0.0/24',
      '10.0.0.255/24',
      '10.0.1.1/16',
      '10.0.0.1',
      'eth0',
      'default',
      'ns0',
    ),
  );
  const maybe = fc.oneof({ weight: 12, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: mutant });
  const plausibleLab = fc
    .record({
      namespaces: fc.array(fc.record({ name: maybe, forwarding: fc.boolean(), to: maybe, via: maybe, dev: maybe }), {
        minLength: 1,
        maxLength: 4,
      }),
      links: fc.array(
        fc.record({
          a: fc.nat(3),
          hop: fc.nat(3),
          onBridge: fc.boolean(),
          ifnames: fc.tuple(maybe, maybe),
          v6: fc.boolean(),
          addresses: fc.tuple(maybe, maybe),
        }),
        { maxLength: 5 },
      ),
    })
    .map(({ namespaces, links }) => {
      const n = namespaces.length;
      const pick = <T>(m: T | null, fallback: T): T => (m === null ? fallback : m);
      const veths = links.map((l, j) => {
        const a = l.a % n;
        const b = l.onBridge ? 'br' : `n${(a + 1 + (l.hop % Math.max(1, n - 1))) % n}`;
        const net = l.v6 ? (h: number) => `fd00:${j + 1}::${h}/64` : (h: number) => `10.0.${j}.${h}/24`;
        return {
          id: `l${j}`,
          kind: 'veth',
          endpoints: [
            { node: `n${a}`, ifname: pick(l.ifnames[0], `e${j}a`), addresses: [pick(l.addresses[0], net(1))] },
            {
              node: b,
              ifname: pick(l.ifnames[1], `e${j}b`),
              addresses: b === 'br' ? [] : [pick(l.addresses[1], net(2))],
            },
          ],
        };
      });
      const nodes: unknown[] = namespaces.map((ns, i) => {
        const first = veths.findIndex((v) => v.endpoints[0]?.node === `n${i}` && v.endpoints[1]?.node !== 'br');
        const gateway = first < 0 ? undefined : links[first]!.v6 ? `fd00:${first + 1}::2` : `10.0.${first}.2`;
        const family6 = first >= 0 && links[first]!.v6;
        const routes =
          gateway === undefined
            ? []
            : [
                {
                  to: pick(ns.to, family6 ? `fd00:9${i}::/64` : `10.9.${i}.0/24`),
                  via: pick(ns.via, gateway),
                  ...(ns.dev === null ? {} : { dev: ns.dev }),
                },
              ];
        return { id: `n${i}`, kind: 'namespace', name: pick(ns.name, `ns${i}`), forwarding: ns.forwarding, routes };
      });
      nodes.push({ id: 'br', kind: 'bridge', name: 'br0' });
      return { version: 1, name: 'prop-lab', nodes, links: veths };
    });

  it.each([
    ['arbitrary labs', lab, 50, 0],
    ['mostly valid labs with hostile fields', plausibleLab, 500, 100],
  ] as const)(
    '%s: whenever validate accepts, every kernel name and address is safe and canonical',
    (_, arbitrary, least, rich) => {
      let accepted = 0;
      let withAddressesAndRoutes = 0;
      fc.assert(
        fc.property(arbitrary, (input) => {
          const r = validate(input);
          expect(r.ok).toBe(!r.issues.some((i) => i.severity === 'error'));
          if (!r.ok) return;
          accepted++;
          const addresses: string[] = [];
          let routes = 0;
          for (const n of r.lab.nodes) {
            if (n.kind === 'namespace') {
              expect(n.name).toMatch(NETNS);
              for (const rt of n.routes) {
                routes++;
                if (rt.to !== 'default') {
                  expect(canonicalCidr(rt.to)).toBe(rt.to);
                  expect(rt.to).toBe(formatCidr(subnetOf(parseCidr(rt.to)!)));
                }
                if (rt.via !== undefined) expect(canonicalIp(rt.via)).toBe(rt.via);
                if (rt.dev !== undefined) expect(rt.dev).toMatch(IFNAME);
              }
            }
            if (n.kind === 'bridge') {
              expect(n.name).toMatch(IFNAME);
              addresses.push(...n.addresses);
            }
          }
          for (const l of r.lab.links)
            for (const e of l.endpoints) {
              expect(e.ifname).toMatch(IFNAME);
              addresses.push(...e.addresses);
            }
          for (const a of addresses) {
            expect(canonicalCidr(a)).toBe(a);
            // An interface address is never a network or (IPv4) broadcast address below /31.
            const c = parseCidr(a)!;
            if (c.prefix <= (c.family === 4 ? 30 : 126)) expect(hasHostBits(c)).toBe(true);
          }
          if (addresses.length > 0 && routes > 0) withAddressesAndRoutes++;
        }),
        { numRuns: 3000 },
      );
      // The generators must actually reach acceptance, or the property says nothing.
      expect(accepted).toBeGreaterThan(least);
      expect(withAddressesAndRoutes).toBeGreaterThanOrEqual(rich);
    },
  );

  it('never throws on anything, every issue is well-formed, and no internal fallback is ever hit', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.anything({ withNullPrototype: true, withObjectString: true }), lab, plausibleLab),
        (input) => {
          const r = validate(input);
          for (const issue of r.issues) {
            expect(IssueSchema.parse(issue)).toEqual(issue);
            // These two only appear if validate itself has a bug (a crash caught, or net.ts disagreeing with zod).
            expect(['Unreadable', 'InvalidAddress']).not.toContain(issue.code);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('reachability hint (warning Unreachable)', () => {
  const unreachable = (lab: Lab) =>
    validate(lab)
      .issues.filter((i) => i.code === 'Unreachable')
      .map((i) => [i.object, i.path, i.severity]);
  const routed = (forwarding: boolean, leftRoutes: Route[] = [{ to: 'default', via: '10.1.1.254' }]) =>
    makeLab({
      nodes: [
        ns('left', { routes: leftRoutes }),
        ns('rtr', { forwarding }),
        ns('right', { routes: [{ to: 'default', via: '10.1.2.254' }] }),
      ],
      links: [
        makeVeth(ep('left', 'eth0', ['10.1.1.2/24']), ep('rtr', 'eth0', ['10.1.1.254/24']), { id: 'a' }),
        makeVeth(ep('rtr', 'eth1', ['10.1.2.254/24']), ep('right', 'eth0', ['10.1.2.2/24']), { id: 'b' }),
      ],
    });

  it('is silent when every namespace reaches every other (directly, over a bridge, or routed)', () => {
    expect(unreachable(makeLab())).toEqual([]);
    expect(unreachable(routed(true))).toEqual([]);
  });

  it('warns on each namespace of two separate islands', () => {
    const lab = makeLab({ nodes: [ns('a'), ns('b'), ns('c'), ns('d')] });
    lab.links = [
      makeVeth(ep('a', 'eth0', ['10.0.0.1/24']), ep('b', 'eth0', ['10.0.0.2/24'])),
      makeVeth(ep('c', 'eth0', ['10.0.1.1/24']), ep('d', 'eth0', ['10.0.1.2/24'])),
    ];
    expect(unreachable(lab)).toEqual([
      ['a', ['nodes', 0], 'warning'],
      ['b', ['nodes', 1], 'warning'],
      ['c', ['nodes', 2], 'warning'],
      ['d', ['nodes', 3], 'warning'],
    ]);
    expect(validate(lab).ok).toBe(true);
  });

  it('a router without forwarding drops what is not for itself', () => {
    expect(unreachable(routed(false)).map(([o]) => o)).toEqual(['left', 'right']);
  });

  it('a one-way route is not enough: the reply needs a way back', () => {
    expect(unreachable(routed(true, [])).map(([o]) => o)).toEqual(['left', 'right']);
  });

  it('a veth end set down cuts the link for both sides', () => {
    const lab = makeLab();
    lab.links[0]!.endpoints[1].up = false;
    expect(unreachable(lab).map(([o]) => o)).toEqual(['ns1', 'ns2']);
  });

  it('namespaces without addresses (pure switches) are left out', () => {
    expect(unreachable(makeLab({ nodes: [...makeLab().nodes, ns('empty')] }))).toEqual([]);
  });
});

describe('reachability hint on a large lab', () => {
  it('gives up quietly instead of slowing the editor (hub with 1000 interfaces and 1024 routes, 63 leaves)', () => {
    const routes: Route[] = Array.from({ length: 1024 }, (_, k) => ({
      to: `172.${16 + (k >> 8)}.${k & 255}.0/24`,
      dev: 'h0',
    }));
    const nodes: LabNode[] = [ns('hub', { forwarding: true, routes })];
    const links = [];
    for (let k = 0; k < 1000; k++) {
      const leaf = k < 63;
      if (leaf) nodes.push(ns(`n${k}`, { routes: [{ to: 'default', via: `10.${k >> 6}.${(k & 63) * 4}.1` }] }));
      const net = `10.${k >> 6}.${(k & 63) * 4}`;
      links.push(
        makeVeth(
          ep('hub', `h${k}`, [`${net}.1/30`]),
          leaf ? ep(`n${k}`, 'eth0', [`${net}.2/30`]) : ep('hub', `x${k}`),
          {
            id: `l${k}`,
          },
        ),
      );
    }
    const started = performance.now();
    const r = validate(makeLab({ nodes, links }));
    expect(performance.now() - started).toBeLessThan(8000);
    expect(r.ok).toBe(true);
  });
});
