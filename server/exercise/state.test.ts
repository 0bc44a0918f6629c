/** The cheap judges on hand-made observations (foreign objects included), and the probes' pure parsers. */
import { describe, expect, it } from 'vitest';
import { Check, type CheckKind } from '../../shared';
import type { ObservedLink, ObservedNetns, ObservedState } from '../engine/types';
import { captureFilter, packetSummary, parseTraceroute, pingArgv } from './probes';
import { fingerprint, judgeState, lookupRoute, ownerOf } from './state';

const link = (o: Partial<ObservedLink> & { ifname: string }): ObservedLink => ({
  netns: null,
  ifindex: 1,
  kind: 'veth',
  marker: null,
  adminUp: true,
  operstate: 'UP',
  mtu: 1500,
  addresses: [],
  ...o,
});
const ns = (name: string | null, o: Partial<ObservedNetns> = {}): ObservedNetns => ({
  name,
  marker: null,
  forwarding: false,
  ipv4Forward: false,
  links: [],
  routes: [],
  ...o,
});

// What a student built by hand with `ip` (no Netloom marker anywhere).
const obs: ObservedState = {
  root: ns(null, { ipv4Forward: true, links: [link({ ifname: 'up0', addresses: ['203.0.113.2/24'] })] }),
  namespaces: {
    red: ns('red', {
      links: [
        link({ ifname: 'lo', kind: 'loopback', adminUp: false, operstate: 'DOWN' }),
        link({
          ifname: 'veth-red',
          addresses: ['10.0.0.1/24', 'fd00::1/64'],
          peer: { netns: 'blue', ifname: 'veth-blue', ifindex: 7 },
        }),
      ],
      routes: [
        { family: 4, to: '10.0.0.0/24', dev: 'veth-red', protocol: 'kernel' },
        { family: 4, to: 'default', via: '10.0.0.254', dev: 'veth-red', protocol: 'boot' },
        { family: 4, to: '10.9.0.0/16', via: '10.0.0.9', dev: 'veth-red', metric: 10 },
        { family: 4, to: '10.9.0.0/16', via: '10.0.0.8', dev: 'veth-red', metric: 5 },
      ],
    }),
    blue: ns('blue', {
      ipv4Forward: true,
      links: [
        link({ ifname: 'veth-blue', operstate: 'LOWERLAYERDOWN', mtu: 1200, master: 'br0' }),
        link({ ifname: 'br0', kind: 'bridge' }),
        link({ ifname: 'vx0', kind: 'vxlan', operstate: 'UNKNOWN', vxlan: { vni: 42 } }),
      ],
    }),
  },
};

const judge = (c: Record<string, unknown>) => judgeState(Check.parse(c), obs);

describe('judgeState', () => {
  it('namespace present / absent', () => {
    expect(judge({ kind: 'namespace', netns: 'red' })).toEqual({ met: true, reason: 'namespace red exists' });
    expect(judge({ kind: 'namespace', netns: 'green' }).met).toBe(false);
    expect(judge({ kind: 'namespace', netns: 'green', present: false }).met).toBe(true);
  });

  it('interface properties, each with the fact that failed', () => {
    expect(judge({ kind: 'interface', netns: 'red', dev: 'lo', up: true })).toEqual({
      met: false,
      reason: 'lo in red: it is down',
    });
    expect(
      judge({
        kind: 'interface',
        netns: 'red',
        dev: 'veth-red',
        type: 'veth',
        peer: { netns: 'blue', dev: 'veth-blue' },
      }).met,
    ).toBe(true);
    expect(judge({ kind: 'interface', netns: 'red', dev: 'veth-red', peer: { netns: 'host', dev: 'x' } }).reason).toBe(
      'veth-red in red: its other end is veth-blue in blue, not x in the host',
    );
    expect(judge({ kind: 'interface', netns: 'blue', dev: 'veth-blue', carrier: true, mtu: 1500 }).reason).toBe(
      'veth-blue in blue: it has no carrier (LOWERLAYERDOWN); its MTU is 1200, not 1500',
    );
    expect(judge({ kind: 'interface', netns: 'blue', dev: 'veth-blue', master: 'br0' }).met).toBe(true);
    expect(judge({ kind: 'interface', netns: 'blue', dev: 'veth-blue', master: 'br1' }).reason).toContain(
      'it is a port of br0, not of br1',
    );
    expect(judge({ kind: 'interface', netns: 'blue', dev: 'veth-blue', master: null }).met).toBe(false);
    // A vxlan that is up reports UNKNOWN: that is carrier.
    expect(judge({ kind: 'interface', netns: 'blue', dev: 'vx0', type: 'vxlan', vni: 42, carrier: true }).met).toBe(
      true,
    );
    expect(judge({ kind: 'interface', netns: 'blue', dev: 'vx0', vni: 7 }).reason).toContain('its VNI is 42, not 7');
    expect(judge({ kind: 'interface', netns: 'red', dev: 'gone', present: false }).met).toBe(true);
    expect(judge({ kind: 'interface', netns: 'green', dev: 'x' }).reason).toBe('there is no namespace green');
  });

  it('addresses with or without a prefix, on one interface or any, in canonical spelling', () => {
    expect(judge({ kind: 'address', netns: 'red', dev: 'veth-red', address: '10.0.0.1/24' }).met).toBe(true);
    expect(judge({ kind: 'address', netns: 'red', dev: 'veth-red', address: '10.0.0.1/16' }).reason).toBe(
      'veth-red in red does not have 10.0.0.1/16 (it has 10.0.0.1/24, fd00::1/64)',
    );
    expect(judge({ kind: 'address', netns: 'red', address: '10.0.0.1' }).met).toBe(true);
    expect(judge({ kind: 'address', netns: 'red', address: 'fd00:0::1/64' }).met).toBe(true);
    expect(judge({ kind: 'address', netns: 'host', address: '203.0.113.2' }).met).toBe(true);
    expect(judge({ kind: 'address', netns: 'red', address: '10.0.0.1', present: false }).met).toBe(false);
  });

  it('routes: exact destination, or the route the kernel picks for an address (longest prefix, metric)', () => {
    expect(judge({ kind: 'route', netns: 'red', to: 'default', via: '10.0.0.254' }).met).toBe(true);
    expect(judge({ kind: 'route', netns: 'red', to: 'default', via: '10.0.0.1' }).reason).toBe(
      'red has the route default via 10.0.0.254 dev veth-red, not default via 10.0.0.1',
    );
    expect(judge({ kind: 'route', netns: 'red', dst: '192.0.2.1', via: '10.0.0.254' }).met).toBe(true);
    expect(judge({ kind: 'route', netns: 'red', dst: '10.9.1.1', via: '10.0.0.8' }).met).toBe(true);
    expect(judge({ kind: 'route', netns: 'red', dst: '10.0.0.5', dev: 'veth-red' }).reason).toBe(
      'red sends 10.0.0.5 by 10.0.0.0/24 dev veth-red',
    );
    expect(judge({ kind: 'route', netns: 'blue', dst: '10.0.0.5' }).reason).toBe('blue has no route for 10.0.0.5');
    expect(judge({ kind: 'route', netns: 'blue', to: '10.0.0.0/24', present: false }).met).toBe(true);
  });

  it('forwarding (IPv4), in a namespace or the host', () => {
    expect(judge({ kind: 'forwarding', netns: 'red' })).toEqual({
      met: false,
      reason: 'IPv4 forwarding is off in red',
    });
    expect(judge({ kind: 'forwarding', netns: 'host' }).met).toBe(true);
    expect(judge({ kind: 'forwarding', netns: 'blue', on: false }).met).toBe(false);
  });

  it('refuses probe kinds', () => {
    for (const kind of ['reach', 'agree'] satisfies CheckKind[])
      expect(() => judge(kind === 'reach' ? { kind, from: 'red', to: '10.0.0.2' } : { kind })).toThrow(/probe/);
  });
});

describe('helpers', () => {
  it('ownerOf finds the place holding an address', () => {
    expect(ownerOf(obs, '10.0.0.1')).toBe('red');
    expect(ownerOf(obs, '203.0.113.2')).toBe('host');
    expect(ownerOf(obs, '10.0.0.77')).toBeNull();
  });
  it('lookupRoute ignores the other family', () => {
    expect(lookupRoute(obs.namespaces.red!.routes, 'fd00::9')).toBeNull();
  });
  it('fingerprint ignores counters only', () => {
    const a = structuredClone(obs);
    a.namespaces.red!.links[1]!.counters = { rxBytes: 1, txBytes: 2, rxPackets: 3, txPackets: 4 };
    expect(fingerprint(a)).toBe(fingerprint(obs));
    a.namespaces.red!.links[1]!.mtu = 9000;
    expect(fingerprint(a)).not.toBe(fingerprint(obs));
  });
});

describe('probe parsers', () => {
  it('traceroute hops, with unanswered ones as null', () => {
    const out = `traceroute to 10.1.2.2 (10.1.2.2), 12 hops max, 60 byte packets
 1  10.1.1.254  0.050 ms
 2  *
 3  10.1.2.2  0.081 ms
`;
    expect(parseTraceroute(out)).toEqual(['10.1.1.254', null, '10.1.2.2']);
  });
  it('capture filters per packet kind, port and addresses', () => {
    expect(captureFilter({ packet: 'vxlan' })).toBe('udp port 4789');
    expect(captureFilter({ packet: 'wireguard', port: 51000 })).toBe('udp port 51000');
    expect(captureFilter({ packet: 'icmp', src: '10.0.0.2', dst: '10.0.0.1' })).toBe(
      'icmp and src host 10.0.0.2 and dst host 10.0.0.1',
    );
    expect(captureFilter({ packet: 'any' })).toBe('');
    expect(captureFilter({ packet: 'tcp', port: 80 })).toBe('tcp port 80');
  });
  it('packet summaries drop what changes from ping to ping', () => {
    expect(packetSummary('12:00:01.123456 IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 23009, seq 1, length 64')).toBe(
      'IP 10.0.0.1 > 10.0.0.2: ICMP echo request',
    );
    expect(packetSummary('IP 172.16.1.1.59927 > 172.16.2.1.4789: VXLAN, flags [I] (0x08), vni 42')).toBe(
      'IP 172.16.1.1 > 172.16.2.1.4789: VXLAN, flags [I] (0x08), vni 42',
    );
  });
  it('ping argv: payload size with do-not-fragment, target after --', () => {
    expect(pingArgv('fd00::2', { count: 2, timeoutS: 1, size: 1400 })).toEqual([
      'ping',
      '-6',
      '-n',
      '-c',
      '2',
      '-i',
      '0.2',
      '-W',
      '1',
      '-s',
      '1400',
      '-M',
      'do',
      '--',
      'fd00::2',
    ]);
  });
});
