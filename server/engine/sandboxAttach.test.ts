/**
 * `--attach-sandbox` / NETLOOM_SANDBOX_PID refuse any PID that is not a sandbox holder (issue #13 item 8),
 * without a kernel: this very process (the server's own network namespace), PID 1, a missing PID, bad text;
 * `serve` exits 2 naming the reason before it creates its state directory; the mountinfo reader.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serve } from '../serve';
import { hasHolderTmpfs, requireSandboxHolder, SandboxAttachError, sandboxHolderProblem } from './sandboxAttach';

describe('sandbox holder check', () => {
  it("refuses the server's own network namespace, the host's, a missing process and junk", () => {
    expect(sandboxHolderProblem(process.pid)).toMatch(/this server's own network namespace: it is not a sandbox/);
    expect(sandboxHolderProblem(1)).toMatch(/not a process id/);
    expect(sandboxHolderProblem(999_999_999)).toMatch(/no process 999999999/);
    expect(() => requireSandboxHolder('12ab', 'NETLOOM_SANDBOX_PID')).toThrow(SandboxAttachError);
    expect(() => requireSandboxHolder(String(process.pid), 'NETLOOM_SANDBOX_PID')).toThrow(
      new RegExp(`NETLOOM_SANDBOX_PID ${process.pid}: .*refusing to attach`),
    );
  });

  it('reads the holder tmpfs from mountinfo (mount point, fstype and source must all match)', () => {
    const line = (mp: string, fs: string, src: string) => `36 25 0:40 / ${mp} rw,relatime shared:1 - ${fs} ${src} rw`;
    expect(
      hasHolderTmpfs([line('/', 'ext4', '/dev/sda1'), line('/run/netns', 'tmpfs', 'netloom-sandbox')].join('\n')),
    ).toBe(true);
    expect(hasHolderTmpfs(line('/run/netns', 'tmpfs', 'tmpfs'))).toBe(false);
    expect(hasHolderTmpfs(line('/run/netns2', 'tmpfs', 'netloom-sandbox'))).toBe(false);
    expect(hasHolderTmpfs(line('/run/netns', 'ramfs', 'netloom-sandbox'))).toBe(false);
    expect(hasHolderTmpfs('')).toBe(false);
  });

  it('serve --attach-sandbox OWN_PID exits 2 with the reason and touches nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'netloom-attach-'));
    const stateDir = join(dir, 'state');
    const errors: string[] = [];
    const orig = console.error;
    console.error = (...a: unknown[]) => errors.push(a.join(' '));
    try {
      const code = await serve(['--attach-sandbox', String(process.pid), '--state-dir', stateDir, '--port', '0']);
      expect(code).toBe(2);
    } finally {
      console.error = orig;
      await rm(dir, { recursive: true, force: true });
    }
    expect(errors.join('\n')).toMatch(/--attach-sandbox \d+: process \d+ is in this server's own network namespace/);
    expect(existsSync(stateDir)).toBe(false);
  });
});
