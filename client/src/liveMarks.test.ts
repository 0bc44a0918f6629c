/** Live vs design marks of a namespace's kernel state (issue #15 item 5). */
import { describe, expect, it } from 'vitest';
import type { NodeLiveResponse } from '../../shared/live';
import { markLive } from './liveMarks';
import { makeVethPair } from './testing/factories';

describe('markLive', () => {
  it('lo, link-local addresses and hand-added routes are live; designed addresses and routes are design', () => {
    const lab = makeVethPair();
    const red = lab.nodes.find((n) => n.id === 'red')!;
    const ifname = lab.links[0]!.endpoints[0]!.ifname;
    const addr = lab.links[0]!.endpoints[0]!.addresses[0]!;
    const withRoute = {
      ...lab,
      nodes: lab.nodes.map((n) =>
        n.id === 'red' && n.kind === 'namespace' ? { ...n, routes: [{ to: 'default' as const, via: '10.0.0.2' }] } : n,
      ),
    };
    const live: NodeLiveResponse = {
      node: red.id,
      netns: 'red',
      readAt: new Date(0).toISOString(),
      interfaces: [
        { ifname: 'lo', operstate: 'UNKNOWN', linkType: 'loopback', addresses: ['127.0.0.1/8', '::1/128'] },
        { ifname, operstate: 'UP', addresses: [addr, 'fe80::1/64'] },
      ],
      routes: [
        { family: 4, dst: 'default', gateway: '10.0.0.2', dev: ifname, protocol: 'boot' },
        { family: 4, dst: '10.0.0.0/30', dev: ifname, protocol: 'kernel', scope: 'link' },
        { family: 4, dst: '192.0.2.0/24', gateway: '10.0.0.2', dev: ifname, protocol: 'boot' },
      ],
      neighbours: [],
      fdb: [],
    };
    const m = markLive(withRoute, red.id, live);
    expect(m.interfaces.map((i) => [i.ifname, i.origin, i.addresses.map((a) => a.origin)])).toEqual([
      ['lo', 'live', ['live', 'live']],
      [ifname, 'design', ['design', 'live']],
    ]);
    expect(m.routes.map((r) => [r.dst, r.origin])).toEqual([
      ['default', 'design'],
      ['10.0.0.0/30', 'design'],
      ['192.0.2.0/24', 'live'],
    ]);
  });
});
