/**
 * The light world sandbox on the real kernel: a `cat` holder (no node process) in its own network, mount and
 * PID namespace, with the `netloom-sandbox` tmpfs on /run/netns, lo up and the holder marker; an engine
 * opened in it with another engine's probe runs no probe of its own and still applies; closing it ends
 * the holder and everything that ran inside.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { Lab } from '../../shared';
import type { CommandRunner, RunOptions } from '../engine/contract';
import { openEngine } from '../engine/engine';
import { HOLDER_ENV } from '../engine/sandboxAttach';
import { describeKernel } from '../engine/testing/kernel';
import { processAlive } from '../tools/procs';
import { createWorldSandbox } from './holder';

const LAB: Lab = {
  version: 1,
  name: 'holder-lab',
  nodes: [{ id: 'red', kind: 'namespace', name: 'red', forwarding: false, routes: [] }],
  links: [],
};

describeKernel('light world sandbox', () => {
  it('is a private network + mount + PID world held by cat, and ends with it', async () => {
    const sb = await createWorldSandbox();
    const dir = await mkdtemp(join(tmpdir(), 'netloom-holder-k-'));
    try {
      expect(readFileSync(`/proc/${sb.pid}/comm`, 'utf8').trim()).toBe('cat');
      expect(readFileSync(`/proc/${sb.pid}/environ`, 'utf8').split('\0')).toContain(`${HOLDER_ENV}=1`);
      for (const ns of ['net', 'mnt', 'pid'])
        expect(readlinkSync(`/proc/${sb.pid}/ns/${ns}`)).not.toBe(readlinkSync(`/proc/self/ns/${ns}`));
      const run = async (argv: string[]) => {
        const r = await sb.runner.run(argv, { timeoutMs: 10_000 });
        if (r.code !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
        return r.stdout;
      };
      expect(await run(['cat', '/proc/self/mountinfo'])).toMatch(/ \/run\/netns .* - tmpfs netloom-sandbox /);
      expect(JSON.parse(await run(['ip', '-j', 'link', 'show', 'lo']))[0].flags).toContain('UP');
      // Inside, the holder is PID 1 and the only other process is the one asking.
      expect((await run(['cat', '/proc/1/comm'])).trim()).toBe('cat');

      // An engine with the probe of another (the teacher's): no probe commands, the same capabilities.
      const ran: string[][] = [];
      const runner: CommandRunner = {
        ...sb.runner,
        run: (argv: readonly string[], o?: RunOptions) => {
          ran.push([...argv]);
          return sb.runner.run(argv, o);
        },
      };
      const probed = { capabilities: { netns: true, veth: true, bridge: true }, versions: { ip: 'test' } };
      const engine = await openEngine({ stateDir: dir, runner, driver: 'ip-batch', probed });
      try {
        expect(engine.capabilities()).toEqual(probed.capabilities);
        expect(engine.versions()).toEqual(probed.versions);
        expect(ran.filter((a) => a.includes('unshare'))).toEqual([]);
        expect((await engine.apply(LAB)).ok).toBe(true);
        expect(await run(['ip', 'netns', 'list'])).toMatch(/^red\b/m);
      } finally {
        await engine.close();
      }
      // Something long-lived inside dies with the holder.
      const sleeper = run(['sleep', '600']).catch(() => 'ended');
      let inside = 0;
      for (let i = 0; i < 200 && !inside; i++) {
        const kids = readFileSync(`/proc/${sb.pid}/task/${sb.pid}/children`, 'utf8').trim();
        inside = kids ? 1 : 0;
        if (!inside) await new Promise((r) => setTimeout(r, 10));
      }
      await sb.close();
      expect(processAlive(sb.pid)).toBe(false);
      expect(await sleeper).toBe('ended');
    } finally {
      await sb.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
