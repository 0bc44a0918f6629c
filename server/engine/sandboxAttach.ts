/**
 * Attaching to a running sandbox (`serve --attach-sandbox PID`, NETLOOM_SANDBOX_PID for the CLI) only when
 * PID really is a Netloom sandbox holder (issue #13 item 8): its network namespace is neither ours nor the
 * host's (PID 1's), its mount namespace is not ours, its environment carries HOLDER_ENV and its mount
 * namespace has the holder's tmpfs (source HOLDER_TMPFS) on /run/netns. Read-only: /proc only; no engine
 * import, so the HTTP side may use it before anything else starts.
 */
import { readFileSync, readlinkSync } from 'node:fs';

/**
 * The holder's marks (set by `sandbox.ts`): this variable in its environment (/proc/PID/environ), and the
 * tmpfs it mounts on /run/netns with this source name in its private mount namespace (/proc/PID/mountinfo).
 */
export const HOLDER_ENV = 'NETLOOM_SANDBOX_HOLDER';
export const HOLDER_TMPFS = 'netloom-sandbox';

/** Thrown for a PID that is not a sandbox holder; the CLI prints the message and exits 2. */
export class SandboxAttachError extends Error {
  override readonly name = 'SandboxAttachError';
}

const readlink = (path: string): string | null => {
  try {
    return readlinkSync(path);
  } catch {
    return null;
  }
};

/** Does this mountinfo have a tmpfs with source `source` mounted on /run/netns? */
export function hasHolderTmpfs(mountinfo: string, source = HOLDER_TMPFS): boolean {
  return mountinfo.split('\n').some((line) => {
    const [pre, post] = line.split(' - ');
    if (!pre || !post) return false;
    const mountPoint = pre.split(' ')[4];
    const [fstype, src] = post.split(' ');
    return mountPoint === '/run/netns' && fstype === 'tmpfs' && src === source;
  });
}

/** Why `pid` is not a sandbox holder we may attach to, or null when it is. `proc` is for tests. */
export function sandboxHolderProblem(pid: number, proc = '/proc'): string | null {
  if (!Number.isInteger(pid) || pid < 2) return `"${pid}" is not a process id`;
  const net = readlink(`${proc}/${pid}/ns/net`);
  if (net === null) return `no process ${pid}, or its namespaces cannot be read`;
  if (net === readlink(`${proc}/self/ns/net`))
    return `process ${pid} is in this server's own network namespace: it is not a sandbox`;
  if (net === readlink(`${proc}/1/ns/net`))
    return `process ${pid} is in the host's network namespace: it is not a sandbox`;
  const mnt = readlink(`${proc}/${pid}/ns/mnt`);
  if (mnt === null || mnt === readlink(`${proc}/self/ns/mnt`))
    return `process ${pid} shares this server's mount namespace: it is not a sandbox holder`;
  let environ: string;
  let mountinfo: string;
  try {
    environ = readFileSync(`${proc}/${pid}/environ`, 'latin1');
    mountinfo = readFileSync(`${proc}/${pid}/mountinfo`, 'utf8');
  } catch {
    return `process ${pid} cannot be inspected (its environment and mounts must be readable)`;
  }
  if (!environ.split('\0').includes(`${HOLDER_ENV}=1`))
    return `process ${pid} is not a Netloom sandbox holder (no ${HOLDER_ENV} marker in its environment)`;
  if (!hasHolderTmpfs(mountinfo))
    return `process ${pid} is not a Netloom sandbox holder (no ${HOLDER_TMPFS} tmpfs on /run/netns)`;
  return null;
}

/** Throws SandboxAttachError naming the reason unless `pidText` is a sandbox holder's PID. */
export function requireSandboxHolder(pidText: string, what: string): number {
  if (!/^\d{1,9}$/.test(pidText)) throw new SandboxAttachError(`${what}: invalid sandbox pid "${pidText}"`);
  const pid = Number(pidText);
  const problem = sandboxHolderProblem(pid);
  if (problem) throw new SandboxAttachError(`${what} ${pid}: ${problem}; refusing to attach`);
  return pid;
}
