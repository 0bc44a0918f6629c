import { describe, expect, it } from 'vitest';
import { Lab } from '../../shared';
import { checkAdoption } from './adoption';
import { guardAdoption, guardDefaultRoute } from './hostGuard';
import type { ObservedLink, ObservedState, Operation } from './types';

const link = (ifname: string, extra: Partial<ObservedLink> = {}): ObservedLink =>
  ({
    ifname,
    ifindex: 1,
    kind: 'veth',
    marker: null,
    adminUp: true,
    operstate: 'UP',
    mtu: 1500,
    addresses: [],
    ...extra,
  }) as ObservedLink;

/** Root `up0` carries the default route; its veth peer is `eth0` in namespace gw. */
const observed: ObservedState = {
  root: {
    name: null,
    marker: null,
    links: [
      link('lo', { kind: 'loopback' }),
      link('up0', { peer: { netns: 'gw', ifname: 'eth0', ifindex: 2 } }),
      link('other'),
    ],
    routes: [{ family: 4, to: 'default', via: '10.99.0.2', dev: 'up0' }],
  },
  namespaces: {
    gw: {
      name: 'gw',
      marker: null,
      links: [link('lo', { kind: 'loopback' }), link('eth0', { peer: { netns: null, ifname: 'up0', ifindex: 3 } })],
      routes: [],
    },
  },
};

describe('guardDefaultRoute: the one guard of every executed batch', () => {
  it.each([
    [{ kind: 'link.delete', netns: null, ifname: 'up0' }, /never deletes it/],
    [{ kind: 'link.delete', netns: 'gw', ifname: 'eth0' }, /deletes the veth of/],
    [{ kind: 'netns.delete', netns: 'gw' }, /deletes namespace 'gw'/],
    [{ kind: 'link.setUp', netns: null, ifname: 'up0', up: false }, /sets down/],
    [{ kind: 'link.setMaster', netns: null, ifname: 'up0', master: 'br0' }, /moves into bridge 'br0'/],
    [{ kind: 'link.rename', netns: null, from: 'up0', to: 'x' }, /renames/],
  ] as const)('refuses %j', (op, why) => {
    const g = guardDefaultRoute([{ kind: 'link.delete', netns: null, ifname: 'other' }, op], observed);
    expect(g?.index).toBe(1);
    expect(g?.ifname).toBe('up0');
    expect(g?.message).toMatch(/'up0' carries the host's default route/);
    expect(g?.message).toMatch(why);
  });
  it('lets everything else through (and everything when there is no default route)', () => {
    const ops = [
      { kind: 'link.delete', netns: null, ifname: 'other' },
      { kind: 'link.setUp', netns: null, ifname: 'up0', up: true },
      { kind: 'link.setMtu', netns: null, ifname: 'up0', mtu: 1400 },
    ] as const;
    expect(guardDefaultRoute(ops, observed)).toBeNull();
    const none = { ...observed, root: { ...observed.root, routes: [] } };
    expect(guardDefaultRoute([{ kind: 'link.delete', netns: null, ifname: 'up0' }], none)).toBeNull();
  });
});

describe('adoption guard', () => {
  it('refuses the default-route interface, and a namespace or veth that would take it along', () => {
    expect(guardAdoption([{ netns: null, ifname: 'up0', object: 'l1#0' }], observed, false)).toMatch(
      /'up0' carries the host's default route: 'l1#0' is adopted only when .*allowDefaultRouteInterface: true/,
    );
    expect(guardAdoption([{ netns: 'gw', ifname: 'lo', object: 'ns-gw' }], observed, false)).toMatch(
      /would take 'up0' along/,
    );
    expect(guardAdoption([{ netns: 'gw', ifname: 'eth0', object: 'l1#1' }], observed, false)).toMatch(/'l1#1'/);
    expect(guardAdoption([{ netns: null, ifname: 'other', object: 'x' }], observed, false)).toBeNull();
    expect(guardAdoption([{ netns: null, ifname: 'up0', object: 'l1#0' }], observed, true)).toBeNull();
  });

  const lab = (allow: boolean) =>
    Lab.parse({
      version: 1,
      name: 'found',
      nodes: [
        { id: 'host', kind: 'host', ...(allow && { allowDefaultRouteInterface: true }) },
        { id: 'ns-gw', kind: 'namespace', name: 'gw' },
      ],
      links: [
        {
          id: 'l1',
          kind: 'veth',
          endpoints: [
            { node: 'host', ifname: 'up0' },
            { node: 'ns-gw', ifname: 'eth0' },
          ],
        },
      ],
    });
  const mark = (
    netns: string | null,
    ifname: string,
    object: string,
    alias = `netloom:found:${object}`,
  ): Operation => ({
    kind: 'link.setAlias',
    netns,
    ifname,
    alias,
    object,
    reason: 'adopt it',
    inverse: { kind: 'link.setAlias', netns, ifname, alias: '' },
  });

  it('checkAdoption: refused unless the host node allows it, with the reason and the object', () => {
    const ops = [mark('gw', 'lo', 'ns-gw'), mark(null, 'up0', 'l1#0')];
    expect(checkAdoption(lab(false), ops, observed)).toMatchObject({ code: 'Conflict', object: 'ns-gw' });
    expect(checkAdoption(lab(true), ops, observed)).toBeNull();
  });
  it("checkAdoption: only this lab's markers, on targets still there without another alias", () => {
    expect(checkAdoption(lab(true), [mark(null, 'gone', 'x')], observed)?.message).toMatch(/no longer on the host/);
    expect(checkAdoption(lab(true), [mark(null, 'other', 'x', 'netloom:else:x')], observed)?.code).toBe('InvalidLab');
    const aliased = structuredClone(observed);
    aliased.root.links[2]!.alias = 'mine';
    expect(checkAdoption(lab(true), [mark(null, 'other', 'x')], aliased)?.message).toMatch(/carries the alias 'mine'/);
    const del = {
      kind: 'link.delete',
      netns: null,
      ifname: 'other',
      object: 'x',
      reason: 'r',
      inverse: null,
    } as Operation;
    expect(checkAdoption(lab(true), [del], observed)?.message).toMatch(/only marker operations/);
  });
});
