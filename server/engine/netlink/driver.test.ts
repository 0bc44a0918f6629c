/**
 * Pure parts of the netlink driver: how a wave's messages are arranged into agent actions (fewest socket
 * switches, dependencies kept), and errno naming; and execute() against a fake agent: what a wave's
 * answer, an agent death or an interface that does not exist turn into.
 */
import { describe, expect, it } from 'vitest';
import type { CommandRunner } from '../contract';
import type { AnyOpBody, NetnsRef } from '../types';
import { type Action, type ActionResult, type Agent, arrange, errnoName, NetlinkDriver, type Part } from './driver';
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

type Request = { actions: Action[]; close?: boolean } | { cmd: 'closeAll' };

/** An agent answering each wave with `answer` (every action ok by default); closeAll always succeeds. */
function fakeAgent(answer: (actions: Action[]) => Promise<ActionResult[]> = async (a) => a.map(() => ({ ok: true }))) {
  const requests: Request[] = [];
  const agent = {
    dead: null as Error | null,
    pid: 1,
    async request(body: Request): Promise<ActionResult[]> {
      requests.push(body);
      return 'cmd' in body ? [] : answer(body.actions);
    },
    async close() {},
  };
  const runner: CommandRunner = {
    prefix: [],
    mode: 'host',
    run: async () => ({ code: 1, stdout: '', stderr: 'no ip here' }),
  };
  return { requests, driver: new NetlinkDriver(runner, agent as unknown as Agent) };
}

const create: AnyOpBody = { kind: 'netns.create', netns: 'a', marker: 'netloom:lab:a' };
const up: AnyOpBody = { kind: 'link.setUp', netns: 'a', ifname: 'lo', up: true };

describe('NetlinkDriver.execute (fake agent)', () => {
  it('sends one wave, reports it to the hooks, and closes the fds with it', async () => {
    const { driver, requests } = fakeAgent();
    const waves: string[] = [];
    const r = await driver.execute([create, up], {
      onWaveStart: (ops, w) => {
        waves.push(`start ${w} ${ops}`);
      },
      onWaveDone: (ops, w) => {
        waves.push(`done ${w} ${ops}`);
      },
    });
    expect(r).toEqual({ ok: true, processes: 0 });
    expect(waves).toEqual(['start 0 0,1', 'done 0 0,1']);
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ close: true });
  });

  it('a refused action fails its op with the errno (its last wave closed the fds: no closeAll)', async () => {
    const { driver, requests } = fakeAgent(async (a) =>
      a.map((_, k) => (k === 0 ? { ok: true } : { ok: false, errno: 17 })),
    );
    const r = await driver.execute([create]);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.failure).toMatchObject({
      op: 0,
      code: 17,
      errno: 'EEXIST',
      stderr: 'netlink: EEXIST (errno 17)',
      attempted: [0],
    });
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ close: true });
  });

  it('an agent that answers too few results fails the wave with EIO', async () => {
    const { driver } = fakeAgent(async () => []);
    const r = await driver.execute([create]);
    expect(!r.ok && r.failure).toMatchObject({ op: 0, errno: 'EIO', stderr: 'netlink agent returned too few results' });
  });

  it('an agent dying mid-wave fails it with EPIPE: every op of the wave may have run', async () => {
    const { driver } = fakeAgent(async () => {
      throw new Error('agent exited');
    });
    const r = await driver.execute([create, up]);
    expect(!r.ok && r.failure).toMatchObject({
      op: 0,
      errno: 'EPIPE',
      stderr: 'netlink: agent exited',
      attempted: [0, 1],
    });
  });

  it('an interface still unknown after the lookup fails its op with ENODEV (the wave before it was sent)', async () => {
    const { driver, requests } = fakeAgent();
    const addr: AnyOpBody = { kind: 'addr.add', netns: 'a', ifname: 'eth9', cidr: '10.0.0.1/24' };
    const r = await driver.execute([create, addr]);
    expect(!r.ok && r.failure).toMatchObject({
      op: 1,
      errno: 'ENODEV',
      stderr: "netlink: ENODEV (errno 19): no interface 'eth9'",
      attempted: [1],
    });
    // The namespace's wave, then the lookup (a soft link request in 'a'), then closeAll.
    expect(requests.map((q) => ('cmd' in q ? q.cmd : q.actions.map((a) => a.t).join('+')))).toEqual([
      'create+nl',
      'nl',
      'closeAll',
    ]);
  });

  it("with nothing created or renamed, the caller's observation stands in for the ifindex lookup", async () => {
    const { driver, requests } = fakeAgent();
    const master: AnyOpBody = { kind: 'link.setMaster', netns: 'a', ifname: 'eth0', master: 'br0' };
    const r = await driver.execute([master], { ifindexOf: (_ns, name) => (name === 'br0' ? 7 : undefined) });
    expect(r.ok).toBe(true);
    expect(requests).toHaveLength(1);
  });
});
