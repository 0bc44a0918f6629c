/**
 * Finding our own processes again through /proc: a process is ours only when its environment carries our
 * exact marker (`NETLOOM_WG=…`) and, for a recorded PID, its start time is the recorded one (a PID is
 * reused after a process ends). Reads only; never signals anything. Parsing is pure and unit-tested.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcInfo {
  pid: number;
  /** Start time in clock ticks since boot (/proc/PID/stat field 22): with the PID, a process's identity. */
  start: number;
  /** Executable name as the kernel keeps it (at most 15 bytes). */
  comm: string;
  /** The NETLOOM_WG* variables of its environment. */
  env: Record<string, string>;
}

/** Field 22 of /proc/PID/stat (fields are counted after the parenthesised comm, which may hold spaces). */
export function parseStatStart(stat: string): number | null {
  const close = stat.lastIndexOf(')');
  if (close < 0) return null;
  // After ") " come field 3 (state) onwards: field 22 is the 20th of them.
  const fields = stat.slice(close + 2).split(' ');
  const start = Number(fields[19]);
  return Number.isSafeInteger(start) ? start : null;
}

/** The comm of /proc/PID/stat (between the first "(" and the last ")"). */
export function parseStatComm(stat: string): string {
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  return open >= 0 && close > open ? stat.slice(open + 1, close) : '';
}

/** NETLOOM_WG* variables of a NUL-separated /proc/PID/environ. */
export function parseEnviron(environ: string, prefix = 'NETLOOM_WG'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of environ.split('\0')) {
    if (!entry.startsWith(prefix)) continue;
    const eq = entry.indexOf('=');
    if (eq > 0) out[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return out;
}

/** One process, or null when it is gone (or not readable). */
export function readProc(pid: number): ProcInfo | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const start = parseStatStart(stat);
    if (start === null) return null;
    const environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
    return { pid, start, comm: parseStatComm(stat), env: parseEnviron(environ) };
  } catch {
    return null;
  }
}

/**
 * Every process whose environment has `NETLOOM_WG=<value>` with `value` accepted by `match`. One pass over
 * /proc: a few hundred small reads, done on start-up, recovery and starts, never per status sample.
 */
export function findMarked(match: (marker: string, info: ProcInfo) => boolean): ProcInfo[] {
  const out: ProcInfo[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
    } catch {
      continue;
    }
    // Cheap filter before parsing: most processes are not ours.
    if (!environ.includes('NETLOOM_WG=')) continue;
    const info = readProc(pid);
    if (info?.env.NETLOOM_WG !== undefined && match(info.env.NETLOOM_WG, info)) out.push(info);
  }
  return out;
}

/** Is this PID still the very process we recorded (same start time, same marker)? */
export function isSameProcess(pid: number, start: number, marker: string): ProcInfo | null {
  const info = readProc(pid);
  return info && info.start === start && info.env.NETLOOM_WG === marker ? info : null;
}
