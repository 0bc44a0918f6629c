/**
 * Ending the long-lived children we start (terminals, captures): only processes we created — the process
 * group (and, for a pty, the session) whose leader we spawned. Never by name or pattern.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Sends `signal` to the process group led by `pid` (a child spawned detached or by node-pty). */
export function killGroup(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** PIDs whose session id is `sid` (read from /proc/PID/stat; field 6, after the parenthesised name). */
export function sessionMembers(sid: number): number[] {
  const out: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // rest[0] = state, [1] = ppid, [2] = pgrp, [3] = session
      if (Number(rest[3]) === sid) out.push(Number(e));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/**
 * Kills a pty's whole session: the shell's group and the groups of its jobs (an interactive bash puts each
 * job in its own process group, so killing the shell's group alone could leave a running `ping`).
 */
export function killSession(sid: number): void {
  killGroup(sid);
  for (const pid of sessionMembers(sid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** True while /proc/PID exists and the process is not a zombie. */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
