/**
 * The spawn relay runs real programs (no kernel objects): same results as spawnArgv, timeouts kill the
 * command's group, a relay that dies fails what was in flight and is replaced, close ends it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SpawnRelay } from './relay';
import { SPAWN_FAILED, spawnArgv, TIMED_OUT } from './runner';

let relay: SpawnRelay;
afterEach(() => relay?.close());

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('SpawnRelay', { timeout: 30_000 }, () => {
  it('answers like spawnArgv: exit code, stdout, stderr, stdin, LC_ALL=C', async () => {
    relay = new SpawnRelay();
    const argv = ['sh', '-c', 'read x; echo "out $x $LC_ALL"; echo err >&2; exit 3'];
    const [viaRelay, direct] = await Promise.all([
      relay.run(argv, { stdin: 'hello\n' }),
      spawnArgv(argv, { stdin: 'hello\n' }),
    ]);
    expect(viaRelay).toEqual({ code: 3, stdout: 'out hello C\n', stderr: 'err\n' });
    expect(viaRelay).toEqual(direct);
    expect(relay.pid).not.toBe(process.pid);
  });

  it('runs many commands at once and matches each answer to its command', async () => {
    relay = new SpawnRelay();
    const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => relay.run(['echo', String(i)])));
    expect(rs.map((r) => r.stdout.trim())).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    expect(relay.starts).toBe(1);
  });

  it('reports a program that cannot start, and kills a command past its timeout', async () => {
    relay = new SpawnRelay();
    const missing = await relay.run(['/nonexistent/netloom-no-such-program']);
    expect(missing.code).toBe(SPAWN_FAILED);
    expect(missing.stderr).toMatch(/ENOENT/);
    const t0 = performance.now();
    const slow = await relay.run(['sleep', '30'], { timeoutMs: 200 });
    expect(slow.code).toBe(TIMED_OUT);
    expect(slow.stderr).toMatch(/timed out after 200 ms/);
    expect(performance.now() - t0).toBeLessThan(20_000);
  });

  it('a relay that dies fails the commands in flight and is replaced on the next command', async () => {
    relay = new SpawnRelay();
    const inFlight = relay.run(['sleep', '30']);
    const pid = relay.pid!;
    process.kill(pid, 'SIGKILL'); // the relay we started
    const r = await inFlight;
    expect(r.code).toBe(SPAWN_FAILED);
    expect(r.stderr).toMatch(/spawn relay exited/);
    expect((await relay.run(['echo', 'again'])).stdout).toBe('again\n');
    expect(relay.starts).toBe(2);
    expect(relay.pid).not.toBe(pid);
  });

  it('close ends the relay and what it still runs', async () => {
    relay = new SpawnRelay();
    const r = relay.run(['sh', '-c', 'echo $$; exec sleep 30']);
    // The command's pid comes back only when it ends: find it as the relay's child instead.
    const pid = relay.pid!;
    let child = 0;
    const { readFile } = await import('node:fs/promises');
    for (let i = 0; i < 200 && !child; i++) {
      const kids = (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '')).trim();
      child = Number(kids.split(/\s+/)[0]) || 0;
      if (!child) await new Promise((ok) => setTimeout(ok, 25));
    }
    expect(child).toBeGreaterThan(0);
    relay.close();
    expect((await r).code).toBe(SPAWN_FAILED);
    for (let i = 0; i < 200 && (alive(child) || alive(pid)); i++) await new Promise((ok) => setTimeout(ok, 25));
    expect(alive(child)).toBe(false);
    expect(alive(pid)).toBe(false);
    expect((await relay.run(['echo', 'x'])).code).toBe(SPAWN_FAILED);
  });
});
