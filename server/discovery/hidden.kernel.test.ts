/**
 * Hidden leftovers (issue #13 item 10), in a sandbox: a namespace with a Netloom-marked interface, deleted
 * from /run/netns while a process started through `ip netns exec` (another mount namespace, as every tool
 * and terminal has) still holds it. discover() must list it as process-held with its marked interface, and
 * `netloom gc` must report it — and kill nothing it did not start. Root only; in CI it fails, never skips.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { describeKernel, withSandbox } from '../engine/testing/kernel';
import { processAlive } from '../tools/procs';
import { discover } from './discover';

describeKernel('hidden namespaces held by processes', () => {
  it('discovery and gc see a marked namespace not under /run/netns, held from another mount namespace', async () => {
    await withSandbox(async (sb, stateDir) => {
      const run = async (argv: string[]) => {
        const r = await sb.runner.run(argv);
        expect(r.code, `${argv.join(' ')}: ${r.stderr}`).toBe(0);
      };
      await run(['ip', 'netns', 'add', 'hid']);
      await run(['ip', 'link', 'add', 'hid0', 'type', 'veth', 'peer', 'name', 'hid1', 'netns', 'hid']);
      await run(['ip', '-n', 'hid', 'link', 'set', 'dev', 'hid1', 'alias', 'netloom:ghost:cable#1']);
      const p = sb.runner.prefix;
      const child = spawn(p[0]!, [...p.slice(1), 'ip', 'netns', 'exec', 'hid', 'sleep', '300'], { stdio: 'ignore' });
      try {
        const pid = child.pid!;
        for (let i = 0; i < 500; i++) {
          if ((await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim() === 'sleep') break;
          await new Promise((r) => setTimeout(r, 10));
        }
        await run(['ip', 'netns', 'del', 'hid']);

        const d = await discover(sb.runner);
        expect(d.observed.namespaces.hid).toBeUndefined();
        const held = d.namespaces.find((n) => n.source === 'process' && n.pid === pid);
        expect(held, JSON.stringify(d.namespaces.map((n) => n.ref))).toBeDefined();
        expect(held!.links.find((l) => l.ifname === 'hid1')?.marker).toEqual({ lab: 'ghost', object: 'cable#1' });

        const root = join(import.meta.dirname, '..', '..');
        const gc = spawnSync(process.execPath, [join(root, 'bin', 'netloom.js'), 'gc'], {
          cwd: root,
          encoding: 'utf8',
          env: { ...process.env, NETLOOM_SANDBOX_PID: String(sb.pid), NETLOOM_STATE_DIR: stateDir },
        });
        expect(gc.status, gc.stderr).toBe(0);
        expect(gc.stdout).toContain(`leftover: network namespace held by process ${pid} (sleep), not under /run/netns`);
        expect(gc.stdout).toContain("hid1 (lab 'ghost', cable#1)");
        expect(gc.stdout).toContain('gc never kills a process it did not start');
        expect(processAlive(pid)).toBe(true);
      } finally {
        child.kill('SIGKILL');
      }
    });
  });
});
