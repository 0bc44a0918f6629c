/** Parsers of the live-state endpoint on recorded `ip -j` / `bridge -j` output (iproute2 6.1). */
import { describe, expect, it } from 'vitest';
import { parseAddrShow, parseFdb, parseNeighbours, parseRoutes } from './live';

const ADDR = [
  {
    ifindex: 3,
    ifname: 'v0',
    operstate: 'UP',
    link_type: 'ether',
    address: 'ce:9f:1c:4a:ec:bf',
    addr_info: [
      { family: 'inet', local: '10.9.0.1', prefixlen: 24, scope: 'global' },
      { family: 'inet6', local: 'fe80::cc9f:1cff:fe4a:ecbf', prefixlen: 64, scope: 'link' },
    ],
  },
  {
    ifindex: 1,
    ifname: 'lo',
    operstate: 'UNKNOWN',
    link_type: 'loopback',
    address: '00:00:00:00:00:00',
    ifalias: 'netloom:x:y',
    addr_info: [
      { family: 'inet', local: '127.0.0.1', prefixlen: 8, scope: 'host' },
      { family: 'inet6', local: '::1', prefixlen: 128, scope: 'host' },
    ],
  },
];

describe('live parsers', () => {
  it('interfaces: lo first with its addresses, no MAC for lo, no alias passed on', () => {
    expect(parseAddrShow(ADDR)).toEqual([
      { ifname: 'lo', operstate: 'UNKNOWN', linkType: 'loopback', addresses: ['127.0.0.1/8', '::1/128'] },
      {
        ifname: 'v0',
        operstate: 'UP',
        linkType: 'ether',
        mac: 'ce:9f:1c:4a:ec:bf',
        addresses: ['10.9.0.1/24', 'fe80::cc9f:1cff:fe4a:ecbf/64'],
      },
    ]);
    expect(parseAddrShow('junk')).toEqual([]);
  });

  it('routes, neighbours and unicast FDB entries (multicast groups left out)', () => {
    expect(
      parseRoutes(
        [{ dst: '10.9.0.0/24', dev: 'v0', protocol: 'kernel', scope: 'link', prefsrc: '10.9.0.1', flags: [] }],
        4,
      ),
    ).toEqual([{ family: 4, dst: '10.9.0.0/24', dev: 'v0', protocol: 'kernel', scope: 'link', prefsrc: '10.9.0.1' }]);
    expect(
      parseNeighbours([{ dst: '10.9.0.2', dev: 'v0', lladdr: '02:00:00:00:00:02', state: ['REACHABLE'] }]),
    ).toEqual([{ address: '10.9.0.2', dev: 'v0', lladdr: '02:00:00:00:00:02', state: ['REACHABLE'] }]);
    expect(
      parseFdb([
        { mac: 'de:99:7e:a6:e0:a4', ifname: 'v1', flags: [], master: 'br0', state: 'permanent' },
        { mac: '33:33:00:00:00:01', ifname: 'v1', flags: ['self'], state: 'permanent' },
        { mac: '01:00:5e:00:00:01', ifname: 'v1', flags: ['self'], state: 'permanent' },
        { mac: '00:00:00:00:00:00', ifname: 'vx0', dst: '172.16.2.1', flags: ['self'], state: 'permanent' },
      ]),
    ).toEqual([
      { mac: 'de:99:7e:a6:e0:a4', dev: 'v1', master: 'br0', flags: [], state: 'permanent' },
      { mac: '00:00:00:00:00:00', dev: 'vx0', dst: '172.16.2.1', flags: ['self'], state: 'permanent' },
    ]);
  });
});
