import { describe, expect, it } from 'vitest';
import { validate } from '../../../shared/validate';
import { makeEndpoint, makeLab, makeNamespace, makeVeth } from '../testing/factories';
import { routeText, setLinkDown, setLinkUp } from './linkFault';

/** examples/router.yaml: left — rtr — right, each end host with a default route via the router. */
const router = () =>
  makeLab({
    nodes: [
      makeNamespace('left', 'left', { routes: [{ to: 'default', via: '10.1.1.254' }] }),
      makeNamespace('rtr', 'rtr', { forwarding: true }),
      makeNamespace('right', 'right', {
        routes: [
          { to: 'default', via: '10.1.2.254' },
          { to: '10.8.0.0/24', dev: 'eth0' },
        ],
      }),
    ],
    links: [
      makeVeth('lr', makeEndpoint('left', 'eth0', ['10.1.1.2/24']), makeEndpoint('rtr', 'rtr-left', ['10.1.1.254/24'])),
      makeVeth(
        'rr',
        makeEndpoint('rtr', 'rtr-right', ['10.1.2.254/24']),
        makeEndpoint('right', 'eth0', ['10.1.2.2/24']),
      ),
    ],
  });

describe('setLinkDown / setLinkUp', () => {
  it('down takes both ends down and the routes through them away, leaving a valid lab', () => {
    const { lab, removed } = setLinkDown(router(), 'rr');
    expect(lab.links[1]!.endpoints.map((e) => e.up)).toEqual([false, false]);
    expect(removed.map((r) => `${r.node}: ${routeText(r.route)}`)).toEqual([
      'right: default via 10.1.2.254',
      'right: 10.8.0.0/24 dev eth0',
    ]);
    expect(lab.nodes.find((n) => n.id === 'right')).toMatchObject({ routes: [] });
    // Left's route goes through the other link: it stays.
    expect(lab.nodes.find((n) => n.id === 'left')).toMatchObject({ routes: [{ to: 'default', via: '10.1.1.254' }] });
    expect(validate(lab).issues.filter((i) => i.severity === 'error')).toEqual([]);
  });

  it('up brings the ends and the removed routes back (a route already there is not doubled)', () => {
    const start = router();
    const { lab, removed } = setLinkDown(start, 'rr');
    expect(setLinkUp(lab, 'rr', removed)).toEqual(start);
    const withOne = { ...lab, nodes: lab.nodes.map((n) => (n.id === 'right' ? start.nodes[2]! : n)) };
    expect(setLinkUp(withOne, 'rr', removed).nodes[2]).toEqual(start.nodes[2]);
  });

  it('a link nothing routes through: only the ends change; an unknown link: nothing', () => {
    const { lab, removed } = setLinkDown(router(), 'lr');
    expect(removed.map((r) => r.node)).toEqual(['left']);
    expect(lab.nodes[2]).toEqual(router().nodes[2]);
    const same = router();
    expect(setLinkDown(same, 'nope')).toEqual({ lab: same, removed: [] });
  });
});
