import { describe, expect, it } from 'vitest';
import { Lab } from '../../shared';
import { plan } from './plan';
import type { ObservedLink, ObservedState } from './types';

/** A host like a small VM: eth0 10.0.2.15/24, default via 10.0.2.2, a v6 address, a foreign 192.168.50.0/24 route. */
const host: ObservedState = {
  root: {
    name: null,
    marker: null,
    links: [
      {
        ifname: 'lo',
        ifindex: 1,
        kind: 'loopback',
        marker: null,
        adminUp: true,
        operstate: 'UNKNOWN',
        mtu: 65536,
        addresses: [],
      } as unknown as ObservedLink,
      {
        ifname: 'eth0',
        ifindex: 2,
        kind: 'ether',
        marker: null,
        adminUp: true,
        operstate: 'UP',
        mtu: 1500,
        addresses: ['10.0.2.15/24', '2a01:db8:1::15/64'],
      } as unknown as ObservedLink,
    ],
    routes: [
      { family: 4, to: 'default', via: '10.0.2.2', dev: 'eth0' },
      { family: 4, to: '10.0.2.0/24', dev: 'eth0', protocol: 'kernel' },
      { family: 4, to: '192.168.50.0/24', via: '10.0.2.3', dev: 'eth0' },
    ],
  },
  namespaces: {},
};

const lab = (hostAddresses: string[], nat?: string[]) =>
  Lab.parse({
    version: 1,
    name: 'demo',
    nodes: [
      { id: 'host', kind: 'host', ...(nat && { nat: { sources: nat } }) },
      { id: 'a', kind: 'namespace', name: 'a' },
    ],
    links: [
      {
        id: 'l1',
        kind: 'veth',
        endpoints: [
          { node: 'host', ifname: 'h0', addresses: hostAddresses },
          { node: 'a', ifname: 'eth0', addresses: ['10.77.0.2/24'] },
        ],
      },
    ],
  });

describe('host-side addresses must not hijack the host (plan-time)', () => {
  it.each([
    ['8.0.0.1/5', /overlaps the host's address 10\.0\.2\.15\/24 on 'eth0'/],
    ['10.0.2.99/24', /overlaps the host's address 10\.0\.2\.15\/24/],
    ['10.0.2.15/32', /overlaps the host's address 10\.0\.2\.15\/24/],
    ['192.168.50.1/24', /overlaps the host's route to 192\.168\.50\.0\/24 on 'eth0'/],
    ['128.0.0.1/1', /overlaps the host's route to 192\.168\.50\.0\/24/],
    ['2000::1/3', /overlaps the host's address 2a01:db8:1::15\/64/],
    ['169.254.169.254/16', /cloud metadata address 169\.254\.169\.254/],
    ['2a01:db8::1/32', /overlaps the host's address 2a01:db8:1::15\/64/],
  ])('%s is a Conflict naming what it collides with, on the endpoint', (cidr, why) => {
    const p = plan(lab([cidr]), host, {});
    expect(p.ops).toEqual([]);
    expect(p.errors).toHaveLength(1);
    expect(p.errors[0]).toMatchObject({ code: 'Conflict', object: 'l1#0', path: 'links.0.endpoints.0.addresses.0' });
    expect(p.errors[0]!.message).toMatch(why);
  });

  it('a prefix covering the default gateway alone is a Conflict', () => {
    const noAddr = structuredClone(host);
    noAddr.root.links[1]!.addresses = [];
    noAddr.root.routes = [{ family: 4, to: 'default', via: '10.0.2.2', dev: 'eth0' }];
    const p = plan(lab(['10.0.0.1/16']), noAddr, {});
    expect(p.errors[0]?.message).toMatch(/default gateway 10\.0\.2\.2 \(via 'eth0'\)/);
  });

  it.each([
    ['4.0.0.1/6', /very short prefix \(\/6\).*IPv4/],
    ['4000::1/3', /very short prefix \(\/3\).*IPv6/],
  ])('%s (no collision seen) applies with a warning on the endpoint', (cidr, why) => {
    const p = plan(lab([cidr]), host, {});
    expect(p.errors).toEqual([]);
    expect(p.ops.length).toBeGreaterThan(0);
    expect(p.warnings).toHaveLength(1);
    expect(p.warnings![0]).toMatchObject({ code: 'ShortPrefix', object: 'l1#0' });
    expect(p.warnings![0]!.message).toMatch(why);
  });

  it("an ordinary lab address has neither; the lab's own applied interfaces never count as foreign", () => {
    const p = plan(lab(['10.77.0.1/24']), host, {});
    expect(p.errors).toEqual([]);
    expect(p.warnings).toBeUndefined();
  });

  it('NAT sources must not cover foreign networks; short ones warn', () => {
    const bad = plan(lab(['10.77.0.1/24'], ['10.0.0.0/8']), host, {});
    expect(bad.errors[0]).toMatchObject({ code: 'Conflict', object: 'host', path: 'nodes.0.nat.sources.0' });
    expect(bad.errors[0]!.message).toMatch(/NAT source 10\.0\.0\.0\/8 overlaps/);
    const short = plan(lab(['10.77.0.1/24'], ['64.0.0.0/2']), host, {});
    expect(short.errors).toEqual([]);
    expect(short.warnings?.[0]).toMatchObject({ code: 'ShortPrefix', object: 'host' });
  });
});
