import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rollbackOps } from './engine';
import { StateDir } from './journal';
import { acquireLock, processStartTime } from './lock';
import type { ObservedLink, ObservedState, Operation } from './types';

const link = (over: Partial<ObservedLink>): ObservedLink => ({
  netns: null,
  ifindex: 2,
  ifname: 'x',
  kind: 'veth',
  marker: null,
  adminUp: true,
  operstate: 'UP',
  mtu: 1500,
  addresses: [],
  ...over,
});
const lo = (alias?: string): ObservedLink =>
  link({
    ifindex: 1,
    ifname: 'lo',
    kind: 'loopback',
    ...(alias && { alias, marker: { lab: alias.split(':')[1]!, object: alias.split(':')[2]! } }),
  });
const world = (namespaces: ObservedState['namespaces'], rootLinks: ObservedLink[] = []): ObservedState => ({
  root: { name: null, marker: null, links: [lo(), ...rootLinks], routes: [] },
  namespaces,
});
const nsCreate = (name: string): Operation => ({
  kind: 'netns.create',
  netns: name,
  marker: `netloom:lab:${name}`,
  object: name,
  reason: '',
  inverse: { kind: 'netns.delete', netns: name },
});

describe('rollbackOps', () => {
  it('deletes a namespace it created (marked), and nothing inside it separately', () => {
    const obs = world({
      red: { name: 'red', marker: { lab: 'lab', object: 'red' }, links: [lo('netloom:lab:red')], routes: [] },
    });
    const veth: Operation = {
      kind: 'veth.create',
      a: { netns: 'red', ifname: 'e', marker: 'netloom:lab:c#0' },
      b: { netns: null, ifname: 'f', marker: 'netloom:lab:c#1' },
      object: 'c',
      reason: '',
      inverse: { kind: 'link.delete', netns: 'red', ifname: 'e' },
    };
    expect(rollbackOps('lab', [veth, nsCreate('red')], obs)).toEqual([{ kind: 'netns.delete', netns: 'red' }]);
  });

  it('never deletes a foreign namespace or interface with the same name', () => {
    const obs = world(
      { red: { name: 'red', marker: null, links: [lo(), link({ netns: 'red', ifname: 'own' })], routes: [] } },
      [link({ ifname: 'f' })],
    );
    const veth: Operation = {
      kind: 'veth.create',
      a: { netns: null, ifname: 'f', marker: 'netloom:lab:c#0' },
      b: { netns: null, ifname: 'g', marker: 'netloom:lab:c#1' },
      object: 'c',
      reason: '',
      inverse: { kind: 'link.delete', netns: null, ifname: 'f' },
    };
    expect(rollbackOps('lab', [veth, nsCreate('red')], obs)).toEqual([]);
  });

  it('deletes an empty, unmarked namespace its journal was creating (crash before the marker)', () => {
    const obs = world({ blue: { name: 'blue', marker: null, links: [lo()], routes: [] } });
    expect(rollbackOps('lab', [nsCreate('blue')], obs)).toEqual([{ kind: 'netns.delete', netns: 'blue' }]);
  });

  it('skips steps that are already undone', () => {
    const add: Operation = {
      kind: 'addr.add',
      netns: null,
      ifname: 'x',
      cidr: '10.0.0.1/24',
      object: 'x',
      reason: '',
      inverse: { kind: 'addr.del', netns: null, ifname: 'x', cidr: '10.0.0.1/24' },
    };
    expect(rollbackOps('lab', [add], world({}, [link({ addresses: [] })]))).toEqual([]);
    expect(rollbackOps('lab', [add], world({}, [link({ addresses: ['10.0.0.1/24'] })]))).toEqual([add.inverse]);
  });
});

describe('state dir and lock', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'netloom-unit-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads back what it wrote; an empty or torn journal is unreadable, not empty', async () => {
    const s = new StateDir(dir);
    await s.init();
    expect(await s.readJournal()).toEqual({ state: 'empty' });
    await s.writeJournal({ kind: 'apply', lab: 'l', startedAt: 't', ops: [], completed: [1], attempted: [1] });
    expect((await s.readJournal()).state).toBe('ok');
    await writeFile(s.journalPath, '');
    expect((await s.readJournal()).state).toBe('unreadable');
    await writeFile(s.journalPath, '{"kind":"apply","ops":[');
    expect((await s.readJournal()).state).toBe('unreadable');
  });

  it('takes over a dead holder, never a live one', async () => {
    await writeFile(join(dir, 'lock'), JSON.stringify({ pid: process.pid, start: 'elsewhen' }));
    const held = await acquireLock(dir, 100);
    expect(held.tookOver).toBe(true);
    expect(JSON.parse(await readFile(join(dir, 'lock'), 'utf8')).pid).toBe(process.pid);
    await expect(acquireLock(dir, 100)).rejects.toThrow(/another Netloom process/);
    await held.release();
    const again = await acquireLock(dir, 100);
    expect(again.tookOver).toBe(false);
    await again.release();
  });

  it('reads a process start time from /proc', () => {
    expect(processStartTime(process.pid)).toMatch(/^\d+$/);
    expect(processStartTime(2 ** 22 + 12345)).toBeNull();
  });
});
