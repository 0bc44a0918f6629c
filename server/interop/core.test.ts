/** CORE scenario XML: devices, switches/hubs, interfaces with addresses, link options → impairments. */
import { describe, expect, it } from 'vitest';
import { type Lab, validate } from '../../shared';
import { ImportRefused, importTopology } from './index';
import { fixture } from './testing';

const lab0 = () => importTopology(fixture('core-impairments.xml'), { filename: 'hand.xml' });

describe('CORE XML', () => {
  const { lab, layout, report } = lab0();
  const byId = (id: string) => lab.nodes.find((n) => n.id === id);
  const linkOf = (a: string, b: string) =>
    lab.links.find((l) => l.endpoints.some((e) => e.node === a) && l.endpoints.some((e) => e.node === b))!;
  it('is detected and imports to a valid lab with positions', () => {
    expect(report.format).toBe('core');
    expect(validate(lab).ok).toBe(true);
    expect(layout?.positions.r1).toEqual({ x: 200, y: 50 });
  });
  it('routers forward, switches and hubs are bridges, PCs get the DefaultRoute service', () => {
    expect(byId('r1')).toMatchObject({ kind: 'namespace', forwarding: true });
    expect(byId('sw1')).toMatchObject({ kind: 'bridge', name: 'sw1' });
    expect(byId('hub1')).toMatchObject({ kind: 'bridge' });
    expect(byId('pc1')).toMatchObject({ routes: [{ to: 'default', via: '10.0.0.1' }] });
    expect(report.items.find((i) => i.source === 'hub1 (HUB)')!.status).toBe('approximated');
  });
  it('interfaces carry addresses and MACs; options become impairments (µs → ms, bit/s → kbit/s)', () => {
    const l = linkOf('r1', 'sw1');
    expect(l.endpoints[0]).toMatchObject({ node: 'r1', ifname: 'eth0', addresses: ['10.0.0.1/24'] });
    expect(l.endpoints[0].impairment).toEqual({ delayMs: 5, jitterMs: 1, lossPct: 2.5, rateKbit: 2000 });
    expect(l.endpoints[1].impairment).toEqual({ delayMs: 5, jitterMs: 1, lossPct: 2.5, rateKbit: 2000 });
    expect(linkOf('pc1', 'sw1').endpoints[0].mac).toBe('02:00:00:aa:00:01');
    // unidirectional: only node1's egress
    const d = linkOf('r1', 'pc2');
    expect(d.endpoints[0].impairment).toEqual({ duplicatePct: 5 });
    expect(d.endpoints[1].impairment).toBeUndefined();
    expect(d.endpoints[0].addresses).toEqual(['10.0.1.1/24', '2001:db8::1/64']);
  });
  it('refuses what is not XML or not a scenario; entities are never expanded', () => {
    const refused = (t: string) => {
      try {
        importTopology(t, { from: 'core' });
      } catch (e) {
        if (e instanceof ImportRefused) return e.construct;
      }
      return null;
    };
    expect(refused('<scenario><devices></scenario>')).toBe('xml');
    expect(refused('<?xml version="1.0"?><topology/>')).toBe('not-core');
    const lol = `<?xml version="1.0"?><!DOCTYPE s [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><scenario name="&b;"><devices><device id="1" name="n&b;" type="PC"/></devices></scenario>`;
    const r = importTopology(lol, { from: 'core' });
    expect(JSON.stringify(r.lab)).not.toContain('aaaaaaaaaa');
    expect((r.lab as Lab).nodes.length).toBe(1);
  });
});
