/** The command readers: iproute2's prefix rule and argument loops, bridge/sysctl/tc, legacy tools. */
import { describe, expect, it } from 'vitest';
import { type Effect, matches, readCommand } from './iproute2';

const effects = (line: string, stdoutTo?: string): Effect[] => {
  const r = readCommand(line.split(/\s+/), stdoutTo);
  if (r.kind !== 'effects') throw new Error(`${line}: ${r.kind} ${'why' in r ? r.why : ''}`);
  return r.effects;
};
const why = (line: string) => {
  const r = readCommand(line.split(/\s+/));
  return r.kind === 'unsupported' ? r.why : `(${r.kind})`;
};

describe('matches (iproute2 utils.c)', () => {
  it('is a non-empty prefix test', () => {
    expect(matches('a', 'address')).toBe(true);
    expect(matches('addr', 'address')).toBe(true);
    expect(matches('', 'address')).toBe(false);
    expect(matches('addresses', 'address')).toBe(false);
    expect(matches('x', 'address')).toBe(false);
  });
});

describe('ip, the way ip reads it', () => {
  it('abbreviations: ip a a, ip addr add, ip r a, ip ro rep, ip l s, ip li set', () => {
    const add = { op: 'addr.add', dev: 'eth1', cidr: '10.0.0.1/24', replace: false };
    expect(effects('ip a a 10.0.0.1/24 dev eth1')).toEqual([add]);
    expect(effects('ip addr add dev eth1 10.0.0.1/24')).toEqual([add]);
    expect(effects('ip address add local 10.0.0.1/24 dev eth1')).toEqual([add]);
    expect(effects('ip -4 addr add 10.0.0.1/24 dev eth1')).toEqual([add]);
    expect(effects('ip r a 10.1.0.0/16 via 10.0.0.254')).toEqual([
      { op: 'route.add', route: { to: '10.1.0.0/16', family: 4, via: '10.0.0.254' }, replace: false },
    ]);
    expect(effects('ip ro rep default via 10.0.0.254 dev eth1 metric 10')[0]).toMatchObject({
      op: 'route.add',
      replace: true,
      route: { to: 'default', via: '10.0.0.254', dev: 'eth1', metric: 10 },
    });
    expect(effects('ip l s eth1 up')).toEqual([{ op: 'link.set', dev: 'eth1', set: { up: true } }]);
    expect(effects('ip li set dev eth1 mtu 1400 addr 02:aa:bb:cc:dd:ee')).toEqual([
      { op: 'link.set', dev: 'eth1', set: { mtu: 1400, mac: '02:aa:bb:cc:dd:ee' } },
    ]);
  });

  it('the order of checks decides: t is txqueuelen, m master, n nomaster; s is sr, n neighbor', () => {
    expect(why('ip link add br0 t bridge')).toMatch(/txqueuelen/);
    expect(effects('ip link set eth1 m br0')).toEqual([{ op: 'link.set', dev: 'eth1', set: { master: 'br0' } }]);
    expect(effects('ip link set eth1 n')).toEqual([{ op: 'link.set', dev: 'eth1', set: { master: null } }]);
    expect(why('ip s tunsrc set 2001:db8::1')).toMatch(/sr/);
    expect(readCommand(['ip', 'n']).kind).toBe('readonly');
  });

  it('ip a, ip r, ip link show: read only', () => {
    for (const l of ['ip a', 'ip r', 'ip link show', 'ip -br -c a', 'ip route get 1.1.1.1', 'ip -6 r s'])
      expect(readCommand(l.split(' ')).kind).toBe('readonly');
  });

  it('host bits in a destination are refused like the kernel refuses them', () => {
    expect(why('ip route add 10.0.0.1/24 via 10.0.0.254')).toMatch(/host bits/);
  });

  it('a bare address is a /32 (or /128); IPv6 is made canonical; -6 default takes the family', () => {
    expect(effects('ip addr add 10.0.0.5 dev eth1')[0]).toMatchObject({ cidr: '10.0.0.5/32' });
    expect(effects('ip -6 addr add 2001:DB8:0:0::1/64 dev eth1')[0]).toMatchObject({ cidr: '2001:db8::1/64' });
    expect(effects('ip -6 route add default via fe80::1 dev eth1')[0]).toMatchObject({
      route: { to: 'default', family: 6, via: 'fe80::1', dev: 'eth1' },
    });
  });

  it('links: bridges, vxlan (kernel default port 8472 when none), vlan, veth pairs, tuntap', () => {
    expect(effects('ip link add name br0 type bridge stp_state 1')[0]).toMatchObject({
      op: 'link.add',
      add: { name: 'br0', type: 'bridge', bridge: { stp: true } },
    });
    expect(effects('ip link add vx0 type vxlan id 100 remote 192.0.2.1 dstport 4789 dev eth1')[0]).toMatchObject({
      add: { type: 'vxlan', vxlan: { vni: 100, remote: '192.0.2.1', dstPort: 4789, dev: 'eth1' } },
    });
    expect(effects('ip link add link eth1 name eth1.10 type vlan id 10')[0]).toMatchObject({
      add: { name: 'eth1.10', type: 'vlan', link: 'eth1', vlanId: 10 },
    });
    expect(effects('ip link add va type veth peer name vb')[0]).toMatchObject({
      add: { type: 'veth', peer: { name: 'vb' } },
    });
    // As in ip itself: a bare "a" abbreviates "address", so "type" is read as a MAC and the line fails.
    expect(why('ip link add a type veth peer name b')).toMatch(/MAC/);
    expect(effects('ip tuntap add dev tap0 mode tap')[0]).toMatchObject({ add: { name: 'tap0', type: 'tap' } });
  });

  it('what the lab has no place for is said, not guessed', () => {
    expect(why('ip rule add from 10.0.0.0/24 table 100')).toMatch(/policy routing/);
    expect(why('ip route add 10.0.0.0/24 nexthop via 1.1.1.1 nexthop via 1.1.1.2')).toMatch(/multipath/);
    expect(why('ip netns add x')).toMatch(/netns/);
    expect(why('ip neigh add 10.0.0.2 lladdr 02:00:00:00:00:01 dev eth1')).toMatch(/neighbour/);
  });
});

describe('bridge, sysctl, /proc/sys, tc, brctl, ifconfig, route', () => {
  it('bridge vlan add', () => {
    expect(effects('bridge vlan add dev eth1 vid 10 pvid untagged')).toEqual([
      { op: 'bridge.vlan', add: true, dev: 'eth1', vids: [10], pvid: true, untagged: true },
    ]);
    expect(effects('bridge vlan add dev eth2 vid 20-22')[0]).toMatchObject({ vids: [20, 21, 22], pvid: false });
  });
  it('sysctl -w, sysctl k=v, echo 1 > /proc/sys/…', () => {
    expect(effects('sysctl -w net.ipv4.ip_forward=1')).toEqual([
      { op: 'sysctl', key: 'net.ipv4.ip_forward', value: '1' },
    ]);
    expect(effects('sysctl net/ipv4/conf/all/rp_filter=2')).toEqual([
      { op: 'sysctl', key: 'net.ipv4.conf.all.rp_filter', value: '2' },
    ]);
    expect(effects('echo 1', '/proc/sys/net/ipv6/conf/all/forwarding')).toEqual([
      { op: 'sysctl', key: 'net.ipv6.conf.all.forwarding', value: '1' },
    ]);
    expect(why('sysctl -p /etc/sysctl.conf')).toMatch(/file/);
  });
  it('tc netem and tbf become impairments (Netloom defaults of tbf left out)', () => {
    expect(
      effects('tc qdisc add dev eth1 root netem delay 10ms 2ms loss 1.5% duplicate 1% corrupt 0.1%')[0],
    ).toMatchObject({
      op: 'qdisc.set',
      impairment: { delayMs: 10, jitterMs: 2, lossPct: 1.5, duplicatePct: 1, corruptPct: 0.1 },
    });
    expect(effects('tc qdisc replace dev eth1 root tbf rate 1mbit burst 32kb latency 50ms')[0]).toMatchObject({
      impairment: { rateKbit: 1000 },
    });
    expect(effects('tc qdisc add dev eth1 root tbf rate 10Mbit burst 64kbit latency 400ms')[0]).toMatchObject({
      impairment: { rateKbit: 10000, burstKb: 8, latencyMs: 400 },
    });
    expect(why('tc qdisc add dev eth1 root handle 1: htb default 10')).toMatch(/htb/);
    expect(why('tc filter add dev eth1 parent 1: u32 match ip dst 1.1.1.1 flowid 1:1')).toMatch(/filters/);
  });
  it('brctl, ifconfig and route (net-tools)', () => {
    expect(effects('brctl addbr br0')[0]).toMatchObject({ op: 'link.add', add: { name: 'br0', type: 'bridge' } });
    expect(effects('brctl addif br0 eth1')).toEqual([{ op: 'link.set', dev: 'eth1', set: { master: 'br0' } }]);
    expect(effects('ifconfig eth1 10.0.0.1 netmask 255.255.255.0 up')).toEqual([
      { op: 'addr.add', dev: 'eth1', cidr: '10.0.0.1/24', replace: true },
      { op: 'link.set', dev: 'eth1', set: { up: true } },
    ]);
    expect(effects('route add -net 10.2.0.0 netmask 255.255.0.0 gw 10.0.0.254')[0]).toMatchObject({
      route: { to: '10.2.0.0/16', via: '10.0.0.254' },
    });
  });
  it('other programs are foreign (they run in an image), read-only ones change nothing', () => {
    expect(readCommand(['apk', 'add', 'iproute2']).kind).toBe('foreign');
    expect(readCommand(['ping', '-c1', '10.0.0.1']).kind).toBe('readonly');
  });
});
