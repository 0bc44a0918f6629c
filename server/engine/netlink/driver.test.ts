/**
 * Pure parts of the netlink driver: how a wave's messages are arranged into agent actions (fewest socket
 * switches, dependencies kept), and errno naming.
 */
import { describe, expect, it } from 'vitest';
import type { NetnsRef } from '../types';
import { arrange, errnoName, type Part } from './driver';
import { newVeth, setLink } from './messages';

let seq = 1;
const nl = (op: number, netns: NetnsRef, peer?: string): Part => {
  const q = seq++;
  const msg =
    peer !== undefined ? newVeth(q, { ifname: 'a' }, { ifname: 'b' }, peer) : setLink(q, { ifname: 'x' }, { up: true });
  return { op, argv: [], nl: { netns, seq: q, msg } };
};
const act = (op: number, t: 'create' | 'delete', ns: string): Part => ({ op, argv: [], act: { t, ns } });
const shape = (parts: Part[]) =>
  arrange(parts).actions.map((a) => (a.t === 'nl' ? `nl:${a.ns ?? 'root'}` : `${a.t}:${a.ns}`));

describe('arrange', () => {
  it('batches namespace creations, then one action per namespace socket', () => {
    const parts = [act(0, 'create', 'a'), nl(0, 'a'), nl(0, 'a'), act(1, 'create', 'b'), nl(1, 'b'), nl(1, 'b')];
    expect(shape(parts)).toEqual(['create:a', 'create:b', 'nl:a', 'nl:b']);
    const { owners } = arrange(parts);
    expect(owners.map((o) => o.length)).toEqual([1, 1, 2, 2]);
  });

  it('a star: all root messages in one action before the namespaces they feed', () => {
    const parts: Part[] = [];
    for (let i = 0; i < 3; i++) parts.push(nl(i, null, `s${i}`), nl(i, null), nl(i, `s${i}`));
    for (let i = 0; i < 3; i++) parts.push(nl(3 + i, null), nl(6 + i, `s${i}`));
    expect(shape(parts)).toEqual(['nl:root', 'nl:s0', 'nl:s1', 'nl:s2']);
    // Per socket, the original order is kept.
    const root = arrange(parts).owners[0]!;
    expect(root.map((p) => p.op)).toEqual([0, 0, 1, 1, 2, 2, 3, 4, 5]);
  });

  it('keeps cross-namespace dependencies in order', () => {
    // s1 first, then a root message that places a veth end into s1, then s1 again.
    const parts = [nl(0, 's1'), nl(1, null, 's1'), nl(2, 's1'), nl(3, null)];
    expect(shape(parts)).toEqual(['nl:s1', 'nl:root', 'nl:s1']);
    expect(arrange(parts).owners.map((o) => o.map((p) => p.op))).toEqual([[0], [1, 3], [2]]);
  });

  it('namespace deletion waits for earlier messages into that namespace', () => {
    const parts = [nl(0, null, 'x'), act(1, 'delete', 'x'), act(2, 'delete', 'y')];
    expect(shape(parts)).toEqual(['nl:root', 'delete:y', 'delete:x']);
  });
});

describe('errnoName', () => {
  it('names kernel errnos', () => {
    expect(errnoName(17)).toBe('EEXIST');
    expect(errnoName(19)).toBe('ENODEV');
    expect(errnoName(99999)).toBe('E99999');
  });
});
