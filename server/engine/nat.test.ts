/** Host NAT (issue #6) through the pure layers: validate, nft parsing, render, status, destroy, rollback. */
import { describe, expect, it } from 'vitest';
import { Lab, type LabInput, validate } from '../../shared';
import { rollbackOps } from './engine';
import { parseNftTable } from './observe';
import { plan } from './plan';
import { planDestroyNat } from './planDestroy';
import { opArgvs, render } from './render';
import { emptyObserved, simulateAll } from './simulate';
import { status } from './status';
import type { ObservedState } from './types';

const input = (nat?: object, extra: object = {}): LabInput => ({
  version: 1,
  name: 'up-link',
  nodes: [
    { id: 'host', kind: 'host', ...(nat && { nat }), ...extra },
    { id: 'lan', kind: 'namespace', name: 'lan' },
  ],
  links: [
    {
      id: 'l1',
      kind: 'veth',
      endpoints: [
        { node: 'host', ifname: 'h0', addresses: ['10.20.0.1/24'] },
        { node: 'lan', ifname: 'eth0', addresses: ['10.20.0.2/24'] },
      ],
    },
  ],
});
const lab = (nat?: object) => Lab.parse(input(nat));
const host = (): ObservedState => ({ ...emptyObserved(), nft: [] });
const up = (l: Lab, o = host()) => simulateAll(o, plan(l, o).ops);

describe('host NAT: validate', () => {
  it('sources are IPv4 networks without host bits', () => {
    const r = validate(input({ sources: ['10.20.0.1/24'] }));
    expect(r.issues).toEqual([
      expect.objectContaining({ code: 'NatSourceHostBits', path: ['nodes', 0, 'nat', 'sources', 0], object: 'host' }),
    ]);
    expect(validate(input({ sources: ['fd00::/64'] })).ok).toBe(false);
    expect(validate(input({ sources: ['10.20.0.0/24'], masquerade: true })).ok).toBe(true);
    expect(validate(input({ bogus: 1 })).ok).toBe(false);
  });

  it('NatWithoutUplink: NAT with no link to the host is a warning', () => {
    const i = input({});
    i.links = [];
    expect(validate(i).issues).toEqual([
      expect.objectContaining({ code: 'NatWithoutUplink', severity: 'warning', path: ['nodes', 0, 'nat'] }),
    ]);
  });
});

describe('host NAT: render and observe', () => {
  it('one nft transaction on stdin, naming only our table; a replace deletes and recreates atomically', () => {
    const segs = render({
      kind: 'nat.apply',
      table: 'netloom_up_link',
      comment: 'netloom:up-link:host ipfwd=0',
      sources: ['10.20.0.0/24', '10.30.0.0/24'],
      replace: true,
    });
    expect(segs).toHaveLength(1);
    const cmd = segs[0]!.cmds[0]!;
    expect(cmd).toMatchObject({ type: 'exec', netns: null, argv: ['nft', '-f', '-'] });
    const stdin = (cmd as { stdin: string }).stdin;
    expect(stdin.split('\n')[0]).toBe('delete table ip netloom_up_link');
    expect(stdin).toContain(
      'ip saddr { 10.20.0.0/24, 10.30.0.0/24 } ip daddr != { 10.20.0.0/24, 10.30.0.0/24 } masquerade comment "netloom:up-link:host ipfwd=0"',
    );
    expect(stdin).not.toMatch(/flush|ruleset/);
    expect(opArgvs({ kind: 'sysctl.set', netns: null, key: 'net.ipv4.ip_forward', value: '1' })).toEqual([
      ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1'],
    ]);
  });

  it('parses our table from `nft -j list table` (marker, saved ip_forward, sources)', () => {
    const out = JSON.stringify({
      nftables: [
        { metainfo: { version: '1.0.6' } },
        { table: { family: 'ip', name: 'netloom_x', handle: 1 } },
        {
          rule: {
            family: 'ip',
            table: 'netloom_x',
            chain: 'postrouting',
            handle: 2,
            comment: 'netloom:x:host ipfwd=0',
            expr: [
              {
                match: {
                  op: '==',
                  left: { payload: { protocol: 'ip', field: 'saddr' } },
                  right: {
                    set: [{ prefix: { addr: '10.1.0.0', len: 24 } }, { prefix: { addr: '10.0.0.0', len: 24 } }],
                  },
                },
              },
              { masquerade: null },
            ],
          },
        },
      ],
    });
    expect(parseNftTable('netloom_x', out)).toEqual({
      family: 'ip',
      name: 'netloom_x',
      marker: { lab: 'x', object: 'host' },
      ipForwardWas: 0,
      sources: ['10.0.0.0/24', '10.1.0.0/24'],
    });
    // Spoofed/near-miss comments do not make a table ours.
    expect(parseNftTable('netloom_x', out.replace('netloom:x:host ipfwd=0', 'netloom:x:host')).marker).toBeNull();
    expect(parseNftTable('netloom_x', out.replace('netloom:x:host', 'netloom:x:host:extra')).marker).toBeNull();
  });
});

describe('host NAT: status, destroy, rollback', () => {
  it('missing table, different sources, forwarding off are drift; a table left behind too', () => {
    const reasons = (l: Lab, o: ObservedState) =>
      status(l, o, { observed: 1, applied: 1 }, 'now').objects.host!.conditions.map((c) => c.reason);
    const on = up(lab({}));
    expect(reasons(lab({}), on)).toEqual(['AsDesigned']);
    expect(reasons(lab({}), { ...on, nft: [] })).toEqual(['NatMissing']);
    expect(reasons(lab({ sources: ['10.99.0.0/16'] }), on)).toEqual(['NatDiffers']);
    expect(reasons(lab({}), { ...on, root: { ...on.root, ipv4Forward: false } })).toEqual(['IpForwardOff']);
    expect(reasons(lab(), on)).toEqual(['NatUnexpected']);
  });

  it('destroy deletes our table and restores ip_forward only when we turned it on', () => {
    const on = up(lab({}));
    expect(
      planDestroyNat('up-link', on).map((o) => [
        o.kind,
        o.kind === 'sysctl.set' ? o.value : o.kind === 'nat.delete' ? o.table : '',
      ]),
    ).toEqual([
      ['nat.delete', 'netloom_up_link'],
      ['sysctl.set', '0'],
    ]);
    const wasOn = host();
    wasOn.root.ipv4Forward = true;
    expect(planDestroyNat('up-link', up(lab({}), wasOn)).map((o) => o.kind)).toEqual(['nat.delete']);
    expect(planDestroyNat('other-lab', on)).toEqual([]);
  });

  it('rollback undoes a NAT creation only while our table is there, and restores ip_forward', () => {
    const before = host();
    before.root.ipv4Forward = false;
    const p = plan(lab({}), before);
    const after = simulateAll(before, p.ops);
    expect(
      rollbackOps('up-link', [...p.ops].reverse(), after).filter(
        (o) => o.kind.startsWith('nat') || o.kind === 'sysctl.set',
      ),
    ).toEqual([
      { kind: 'nat.delete', table: 'netloom_up_link' },
      { kind: 'sysctl.set', netns: null, key: 'net.ipv4.ip_forward', value: '0' },
    ]);
    expect(rollbackOps('up-link', [...p.ops].reverse(), before)).toEqual([]);
  });
});

describe('rollback of a half-created namespace', () => {
  it('an unmarked namespace holding only a veth end this journal created is deleted (its peer goes with it)', () => {
    const l = lab();
    const p = plan(l, host());
    const after = simulateAll(host(), p.ops);
    // The failure fell on marking lan's lo, while the root side created the veth in parallel.
    const ns = after.namespaces.lan!;
    const lo = ns.links.find((x) => x.ifname === 'lo')!;
    delete lo.alias;
    lo.marker = null;
    ns.marker = null;
    const inv = rollbackOps('up-link', [...p.ops].reverse(), after);
    expect(inv).toContainEqual({ kind: 'netns.delete', netns: 'lan' });
    // Something foreign inside: never deleted.
    ns.links.push({ ...ns.links.find((x) => x.ifname === 'eth0')!, ifname: 'foreign0', marker: null });
    expect(rollbackOps('up-link', [...p.ops].reverse(), after)).not.toContainEqual({
      kind: 'netns.delete',
      netns: 'lan',
    });
  });
});
