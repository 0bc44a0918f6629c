/**
 * Two students' worlds on the real kernel (driver under test): each is its own sandbox — network, mount and
 * PID namespace — so the same lab applies in both without a conflict, a veth made by hand in Alice's is
 * absent from Bob's, neither lists the other's processes, and closing a world ends what ran in it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { Lab } from '../../shared';
import { describeKernel, kernelDriver } from '../engine/testing/kernel';
import { silentLogger } from '../log';
import { processAlive } from '../tools/procs';
import { DEFAULT_QUOTAS } from './quota';
import { makeRoster } from './roster';
import { openStudentWorld, type StudentWorld } from './world';

const LAB: Lab = {
  version: 1,
  name: 'same-lab',
  nodes: [{ id: 'red', kind: 'namespace', name: 'red', forwarding: false, routes: [] }],
  links: [],
};

describeKernel(`classroom worlds are isolated (${kernelDriver()} driver)`, () => {
  it('keeps two students apart: kernel objects, mounts and processes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'netloom-class-k-'));
    const worlds: StudentWorld[] = [];
    try {
      const [alice, bob] = makeRoster(['Alice', 'Bob']);
      const o = {
        dir,
        log: silentLogger(),
        listen: '127.0.0.1',
        staticDir: null,
        examples: [],
        exercises: [],
        quotas: DEFAULT_QUOTAS,
        driver: kernelDriver(),
      };
      for (const s of [alice!, bob!]) worlds.push(await openStudentWorld(s, o));
      const [a, b] = worlds as [StudentWorld, StudentWorld];
      const run = async (w: StudentWorld, argv: string[]) => {
        const r = await w.sandbox!.runner.run(argv, { timeoutMs: 10_000 });
        if (r.code !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
        return r.stdout;
      };

      // The same lab, the same namespace name, in both: no conflict.
      expect((await a.engine.apply(LAB)).ok).toBe(true);
      expect((await b.engine.apply(LAB)).ok).toBe(true);
      // Alice makes a veth by hand; Bob's red has no such thing.
      await run(a, ['ip', 'netns', 'add', 'blue']);
      await run(a, [
        'ip',
        '-n',
        'red',
        'link',
        'add',
        'veth-red',
        'type',
        'veth',
        'peer',
        'name',
        'veth-blue',
        'netns',
        'blue',
      ]);
      expect(await run(a, ['ip', '-n', 'red', '-o', 'link', 'show'])).toContain('veth-red');
      expect(await run(b, ['ip', '-n', 'red', '-o', 'link', 'show'])).not.toContain('veth-red');
      expect(
        (await run(a, ['ip', 'netns', 'list']))
          .split('\n')
          .map((l) => l.split(' ')[0])
          .sort(),
      ).toEqual(['', 'blue', 'red']);
      expect(
        (await run(b, ['ip', 'netns', 'list']))
          .split('\n')
          .map((l) => l.split(' ')[0])
          .sort(),
      ).toEqual(['', 'red']);

      // Three PID namespaces: the host's, Alice's, Bob's.
      const pidns = async (w: StudentWorld) => (await run(w, ['readlink', '/proc/self/ns/pid'])).trim();
      const host = (await import('node:fs')).readlinkSync('/proc/self/ns/pid');
      expect(new Set([host, await pidns(a), await pidns(b)]).size).toBe(3);
      // A process Alice starts is not in Bob's process list (nor is the server), and ends with her world.
      void a.sandbox!.runner.run(['sleep', '300'], { timeoutMs: 600_000 }).catch(() => null);
      let alicePs = '';
      for (let i = 0; i < 50 && !alicePs.includes('sleep 300'); i++) alicePs = await run(a, ['ps', '-eo', 'pid,args']);
      expect(alicePs).toContain('sleep 300');
      const bobPs = await run(b, ['ps', '-eo', 'pid,args']);
      expect(bobPs).not.toContain('sleep 300');
      expect(bobPs).not.toContain(String(process.pid));
      // Inside, the holder is PID 1.
      expect(alicePs).toMatch(/^\s*1 /m);
      const holder = a.sandbox!.pid;
      await a.close();
      expect(processAlive(holder)).toBe(false);
      expect(await run(b, ['ip', '-n', 'red', '-o', 'link', 'show'])).toContain('lo');
    } finally {
      for (const w of worlds) await w.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
