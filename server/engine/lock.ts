/**
 * One writer per state directory across processes (server and CLI): `stateDir/lock` holds the holder's pid
 * and process start time (from /proc/PID/stat, so a recycled pid is not mistaken for the holder). A live
 * holder is never robbed; a dead one's lock is taken over (the caller then runs journal recovery).
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

interface LockInfo {
  pid: number;
  start: string;
}

/** Field 22 of /proc/PID/stat (start time in clock ticks since boot); null if the process does not exist. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19] ?? null;
  } catch {
    return null;
  }
}

export function isAlive(info: LockInfo): boolean {
  const start = processStartTime(info.pid);
  return start !== null && start === info.start;
}

export class LockBusyError extends Error {
  constructor(readonly holder: LockInfo) {
    super(`another Netloom process (pid ${holder.pid}) is changing the host; try again when it is done`);
  }
}

export interface HeldLock {
  /** True when a dead holder's lock was taken over (recovery should run). */
  tookOver: boolean;
  release(): Promise<void>;
}

export async function acquireLock(stateDir: string, timeoutMs = 30_000): Promise<HeldLock> {
  const path = join(stateDir, 'lock');
  const me: LockInfo = { pid: process.pid, start: processStartTime(process.pid) ?? '0' };
  const deadline = Date.now() + timeoutMs;
  let tookOver = false;
  for (;;) {
    try {
      // Synchronous (a tiny local file: no thread-pool round trips on every apply). Not synced: the lock
      // speaks of live processes, which a machine crash ends anyway (an empty or torn lock file is taken
      // over once it is 2 s old).
      const fd = openSync(path, 'wx', 0o600);
      try {
        writeSync(fd, JSON.stringify(me));
      } finally {
        closeSync(fd);
      }
      return {
        tookOver,
        release: async () => {
          // Only remove it if it is still ours.
          let cur = '';
          try {
            cur = readFileSync(path, 'utf8');
          } catch {}
          if (cur === JSON.stringify(me)) rmSync(path, { force: true });
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let holder: LockInfo | null = null;
    try {
      holder = JSON.parse(await readFile(path, 'utf8')) as LockInfo;
    } catch {
      holder = null; // torn write by a crashed holder, or removed meanwhile
    }
    // A lock just created by a live process may not have its content yet: give it a moment.
    const fresh = holder === null && Date.now() - ((await stat(path).catch(() => null))?.mtimeMs ?? 0) < 2000;
    if (!fresh && (holder === null || !isAlive(holder))) {
      // Dead (or unreadable) holder: move its lock aside atomically; whoever wins the rename takes over.
      const aside = `${path}.stale-${process.pid}`;
      try {
        await rename(path, aside);
        await rm(aside, { force: true });
        tookOver = true;
      } catch {
        // someone else took it over first
      }
      continue;
    }
    if (Date.now() > deadline) throw new LockBusyError(holder ?? { pid: 0, start: '' });
    await new Promise((r) => setTimeout(r, 50));
  }
}
