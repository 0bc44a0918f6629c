import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseServeArgs, serve } from '../serve';
import { FakeEngine } from '../testing/fakeEngine';
import { makeVethPairLab } from '../testing/labs';

const root = process.getuid?.() === 0;

describe('serve options', () => {
  it('defaults: port 7411, 127.0.0.1, a fresh 32-byte hex token, mode by privilege', () => {
    const o = parseServeArgs([], { HOME: '/home/u' });
    expect(o).toMatchObject({ port: 7411, listen: '127.0.0.1', fresh: false, dev: false, statusIntervalMs: 1000 });
    expect(o.token).toMatch(/^[0-9a-f]{64}$/);
    expect(o.tokenGenerated).toBe(true);
    expect(o.mode).toBe(root ? 'host' : 'sandbox');
    expect(o.stateDir).toBe(root ? '/var/lib/netloom' : '/home/u/.local/state/netloom');
    expect(parseServeArgs([], {}).token).not.toBe(o.token);
    expect(o.driver).toBe('auto');
    expect(parseServeArgs([], { NETLOOM_DRIVER: 'ip-batch' }).driver).toBe('ip-batch');
    expect(parseServeArgs(['--driver', 'netlink'], { NETLOOM_DRIVER: 'ip-batch' }).driver).toBe('netlink');
  });

  it('flags win over env, env over defaults', () => {
    const env = {
      PORT: '8000',
      NETLOOM_TOKEN: 'env-token-123',
      NETLOOM_STATE_DIR: '/tmp/env-state',
      XDG_STATE_HOME: '/x',
    };
    expect(parseServeArgs([], env)).toMatchObject({ port: 8000, token: 'env-token-123', stateDir: '/tmp/env-state' });
    const o = parseServeArgs(
      [
        '--port',
        '7420',
        '--token',
        'flag-token-1',
        '--state-dir',
        '/tmp/s',
        '--sandbox',
        '--fresh',
        '--dev',
        '--listen',
        '::1',
      ],
      env,
    );
    expect(o).toMatchObject({
      port: 7420,
      token: 'flag-token-1',
      stateDir: '/tmp/s',
      mode: 'sandbox',
      fresh: true,
      dev: true,
      listen: '::1',
    });
    expect(parseServeArgs([], { XDG_STATE_HOME: '/x' }).stateDir).toBe(root ? '/var/lib/netloom' : '/x/netloom');
  });

  it('refuses bad input', () => {
    expect(() => parseServeArgs(['--port', 'abc'], {})).toThrow(/port/);
    expect(() => parseServeArgs(['--port', '70000'], {})).toThrow(/port/);
    expect(() => parseServeArgs(['--sandbox', '--host'], {})).toThrow(/one of/);
    expect(() => parseServeArgs(['--token', 'a b'], {})).toThrow(/token/);
    expect(() => parseServeArgs(['--bogus'], {})).toThrow();
    expect(() => parseServeArgs(['--driver', 'ebpf'], {})).toThrow(/--driver must be one of auto, netlink, ip-batch/);
    expect(() => parseServeArgs([], { NETLOOM_DRIVER: 'x' })).toThrow(/--driver/);
    if (!root) expect(() => parseServeArgs(['--host'], {})).toThrow(/root/);
  });
});

describe('serve', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'netloom-serve-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const banner: string[] = [];
  const run = (args: string[], check: (base: string) => Promise<void>) => {
    let failure: unknown;
    const code = serve(
      ['--port', '0', '--token', 'serve-test-token', '--state-dir', dir, '--log-level', 'silent', ...args],
      {
        openEngine: async () => ({ engine: new FakeEngine(), sandbox: null }),
        print: (t) => banner.push(t),
        onListening: (port, stop) => {
          check(`http://127.0.0.1:${port}`)
            .catch((e: unknown) => {
              failure = e;
            })
            .finally(stop);
        },
      },
    );
    return code.then((c) => {
      if (failure) throw failure;
      return c;
    });
  };
  const get = async (url: string) =>
    (await fetch(url, { headers: { authorization: 'Bearer serve-test-token' } })).json() as Promise<
      Record<string, unknown>
    >;

  it('imports the default example on first start, reports it, and stops cleanly', async () => {
    const code = await run(['--sandbox'], async (base) => {
      const { labs } = (await get(`${base}/api/labs`)) as { labs: { name: string }[] };
      expect(labs.map((l) => l.name)).toEqual(['veth-pair']);
      expect(await get(`${base}/api/info`)).toMatchObject({ mode: 'sandbox', defaultLab: 'veth-pair' });
      expect(((await get(`${base}/api/examples`)) as { examples: unknown[] }).examples.length).toBeGreaterThan(0);
    });
    expect(code).toBe(0);
    const text = banner.join('');
    expect(text).toMatch(/sandbox mode/);
    // The dedicated host name first (its cookie reaches no other local service), the address as a fallback.
    expect(text).toMatch(/Open this URL.*\n {4}http:\/\/netloom\.localhost:\d+\/\?token=serve-test-token\n/);
    expect(text).toMatch(/\(or http:\/\/127\.0\.0\.1:\d+\/\?token=serve-test-token\)/);
  });

  it('a second server on the same state directory exits with a clear message and wipes nothing', async () => {
    await run(['--sandbox'], async (base) => {
      // The first server's engine state, as a sandbox-mode engine keeps it.
      await mkdir(join(dir, 'sandbox-engine'), { recursive: true });
      await writeFile(join(dir, 'sandbox-engine', 'applied-marker'), 'x');
      const errors: string[] = [];
      const spy = vi.spyOn(console, 'error').mockImplementation((m: unknown) => void errors.push(String(m)));
      let code: number;
      try {
        // Same directory, same port: the real sandbox engine path (no hook), as a user would start it.
        code = await serve(['--port', new URL(base).port, '--state-dir', dir, '--log-level', 'silent', '--sandbox']);
      } finally {
        spy.mockRestore();
      }
      expect(code).toBe(1);
      expect(errors.join('\n')).toMatch(/another Netloom server \(pid \d+\) is using the state directory/);
      expect(existsSync(join(dir, 'sandbox-engine', 'applied-marker'))).toBe(true);
      const { labs } = (await get(`${base}/api/labs`)) as { labs: { name: string }[] };
      expect(labs.map((l) => l.name)).toEqual(['veth-pair']);
    });
    // Stopped: the directory is free again.
    expect(existsSync(join(dir, 'serve.lock'))).toBe(false);
  });

  it('--lab FILE imports and opens that lab; an invalid file exits 2', async () => {
    const file = join(dir, 'mine.json');
    await writeFile(file, JSON.stringify(makeVethPairLab('mine')));
    await run(['--sandbox', '--lab', file], async (base) => {
      expect(await get(`${base}/api/info`)).toMatchObject({ defaultLab: 'mine' });
    });
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'version: 1\nname: bad\nnodes: [{id: a, kind: namespace, name: "a;b"}]\nlinks: []\n');
    expect(await serve(['--port', '0', '--state-dir', dir, '--log-level', 'silent', '--sandbox', '--lab', bad])).toBe(
      2,
    );
  });
});
