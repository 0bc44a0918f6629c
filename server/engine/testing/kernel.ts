/**
 * Kernel-test helper: every kernel test runs inside its own throwaway sandbox (private net + mount namespace,
 * tmpfs on /run/netns). When the machine cannot host one (not root, no unshare), tests skip — except in CI,
 * where kernel tests must never skip silently: there the helper fails loudly instead.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';
import type { Sandbox } from '../contract';
import { createSandbox } from '../sandbox';

let cached: string | null | undefined;

/** Why kernel tests cannot run here, or null when they can. */
export function kernelUnavailableReason(): string | null {
  if (cached !== undefined) return cached;
  if (process.getuid?.() !== 0) cached = 'kernel tests need root';
  else if (spawnSync('unshare', ['--version']).status !== 0) cached = 'unshare (util-linux) is not available';
  else if (spawnSync('ip', ['-V']).status !== 0) cached = 'iproute2 (ip) is not available';
  else cached = null;
  return cached;
}

/** Throws in CI when kernel tests cannot run; otherwise says whether they can. */
export function kernelAvailable(): boolean {
  const reason = kernelUnavailableReason();
  if (reason && process.env.CI === 'true') throw new Error(`kernel tests cannot run in CI: ${reason}`);
  return reason === null;
}

/** `describe` that skips (or fails in CI) when kernel tests cannot run here. */
export function describeKernel(name: string, fn: () => void): void {
  if (kernelAvailable()) describe(name, () => fn());
  else describe.skip(`${name} (skipped: ${kernelUnavailableReason()})`, () => fn());
}

/**
 * Which engine driver kernel tests open: `NETLOOM_TEST_DRIVER` = `ip-batch` (default) | `netlink`. The suite
 * runs once per driver in CI; with `netlink`, openEngine() throws when the driver cannot load (never a silent
 * fall-back to ip-batch).
 */
export function kernelDriver(): 'ip-batch' | 'netlink' {
  const v = process.env.NETLOOM_TEST_DRIVER ?? '';
  if (v === '' || v === 'ip-batch') return 'ip-batch';
  if (v === 'netlink') return 'netlink';
  throw new Error(`NETLOOM_TEST_DRIVER must be ip-batch or netlink, not ${JSON.stringify(v)}`);
}

/** Runs `fn` with a fresh sandbox and a fresh state dir; always closes and removes both. */
export async function withSandbox<T>(fn: (sb: Sandbox, stateDir: string) => Promise<T>): Promise<T> {
  if (!kernelAvailable()) throw new Error(`kernel tests cannot run here: ${kernelUnavailableReason()}`);
  const sb = await createSandbox();
  const stateDir = await mkdtemp(join(tmpdir(), 'netloom-test-'));
  try {
    return await fn(sb, stateDir);
  } finally {
    await sb.close();
    await rm(stateDir, { recursive: true, force: true });
  }
}

/** Is a program present (e.g. ping, installed by the lead's setup)? */
export function hasProgram(path: string): boolean {
  return spawnSync('test', ['-x', path]).status === 0;
}

/**
 * Can the tests ping? Where `ping` is missing a test may leave out its traffic checks — except under
 * `CI=true`, where a missing `ping` fails the file at once (a traffic check must never pass by absence).
 */
export function pingAvailable(env: NodeJS.ProcessEnv = process.env, has = hasProgram): boolean {
  const ok = has('/usr/bin/ping') || has('/bin/ping');
  if (!ok && env.CI === 'true') throw new Error('ping (iputils-ping) is required for kernel tests under CI=true');
  return ok;
}

/** The example labs shipped in examples/*.yaml, parsed (input form). */
export async function exampleLabs(): Promise<{ file: string; lab: import('../../../shared').LabInput }[]> {
  const { readdir, readFile } = await import('node:fs/promises');
  const { parse } = await import('yaml');
  const dir = join(import.meta.dirname, '..', '..', '..', 'examples');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml') || f.endsWith('.json'));
  return Promise.all(files.sort().map(async (file) => ({ file, lab: parse(await readFile(join(dir, file), 'utf8')) })));
}
