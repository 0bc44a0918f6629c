/**
 * One writer per state directory across processes (server and CLI): `stateDir/lock` holds the holder's pid
 * and process start time (from /proc/PID/stat, so a recycled pid is not mistaken for the holder). A live
 * holder is never robbed; a dead one's lock is taken over (the caller then runs journal recovery), by exactly
 * one contender (takeOver below).
 */
import { closeSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { stat } from 'node:fs/promises';
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

function readHolder(path: string): LockInfo | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
  } catch {
    return null; // torn write by a crashed holder, or removed meanwhile
  }
}

/**
 * Removes a dead holder's lock, serialized by `lock.takeover` (O_EXCL): the holder is read again under
 * it and the lock removed only if it is still the dead (or torn) one — two contenders that both saw the
 * dead holder can no longer both remove it (the second would remove the first's fresh lock: two holders,
 * issue #13 item 9). The section is synchronous (no await), so it is held for microseconds; a takeover file
 * left by a process killed inside it is removed once its writer is dead and it is 2 s old. Answers
 * whether this process now holds the lock (the dead one replaced by ours with one rename).
 */
function takeOver(path: string, me: LockInfo): boolean {
  const mutex = `${path}.takeover`;
  let fd: number;
  try {
    fd = openSync(mutex, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    clearStaleMutex(mutex);
    return false;
  }
  try {
    writeSync(fd, JSON.stringify(me));
    closeSync(fd);
    const holder = readHolder(path);
    if (holder !== null && isAlive(holder)) return false;
    if (holder === null) {
      // Torn or empty: only once it is 2 s old (a live creator writes its content right after creating).
      let age = 0;
      try {
        age = Date.now() - statSync(path).mtimeMs;
      } catch {
        return false; // gone meanwhile: just try to create it
      }
      if (age < 2000) return false;
    }
    // Replace it atomically (no moment without a lock file for a plain O_EXCL create to slip into).
    const mine = `${path}.${me.pid}.tmp`;
    writeFileSync(mine, JSON.stringify(me), { mode: 0o600 });
    renameSync(mine, path);
    return true;
  } finally {
    rmSync(mutex, { force: true });
  }
}

function clearStaleMutex(mutex: string): void {
  try {
    const owner = readHolder(mutex);
    if (owner && isAlive(owner)) return;
    if (Date.now() - statSync(mutex).mtimeMs < 2000) return;
    rmSync(mutex, { force: true });
  } catch {}
}

function held(path: string, me: LockInfo, tookOver: boolean): HeldLock {
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
}

/** `name`: `lock` (the engine's writer lock, per operation) or `serve.lock` (held by a server while it runs). */
export async function acquireLock(stateDir: string, timeoutMs = 30_000, name = 'lock'): Promise<HeldLock> {
  const path = join(stateDir, name);
  const me: LockInfo = { pid: process.pid, start: processStartTime(process.pid) ?? '0' };
  const deadline = Date.now() + timeoutMs;
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
      return held(path, me, false);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let holder: LockInfo | null = readHolder(path);
    // A lock just created by a live process may not have its content yet: give it a moment.
    const fresh = holder === null && Date.now() - ((await stat(path).catch(() => null))?.mtimeMs ?? 0) < 2000;
    if (!fresh && (holder === null || !isAlive(holder))) {
      if (takeOver(path, me)) return held(path, me, true);
      holder = readHolder(path);
      if (holder === null || !isAlive(holder)) {
        // Another contender is taking over right now (or the torn lock is not 2 s old): look again shortly.
        if (Date.now() > deadline) throw new LockBusyError(holder ?? { pid: 0, start: '' });
        await new Promise((r) => setTimeout(r, 5));
        continue;
      }
    }
    if (Date.now() > deadline) throw new LockBusyError(holder ?? { pid: 0, start: '' });
    await new Promise((r) => setTimeout(r, 50));
  }
}
