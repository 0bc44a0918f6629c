/**
 * Pre-flight scale check (issue #9): before an apply, compare what a lab needs with the limits of this
 * machine and say clearly which one it would hit — instead of failing half-way with EMFILE, "Exchange full"
 * or a silent neighbour-table overflow. `preflight(lab, limits)` is pure; `readLimits(runner)` reads the
 * limits once (one process in the runner's world for the per-namespace sysctls, the rest from /proc here:
 * the server's own rlimit and the global file table concern this process).
 */
import { readFile } from 'node:fs/promises';
import type { Lab } from '../../shared';
import type { CommandRunner } from './contract';
import { listNetns } from './observe';

export interface ScaleLimits {
  /** RLIMIT_NOFILE of the server process (the netlink agent inherits it; Node raises soft to hard). */
  nofileSoft: number;
  nofileHard: number;
  /** fs.inotify.max_user_instances / max_user_watches (per user; watchers of /run/netns use them). */
  inotifyMaxUserInstances?: number;
  inotifyMaxUserWatches?: number;
  /** net.ipv4.neigh.default.gc_thresh3 (table-wide hard cap of a neighbour table, all namespaces). */
  neighGcThresh3?: number;
  /** fs.file-max and the number of file handles allocated now (fs.file-nr, first field). */
  fileMax?: number;
  fileNr?: number;
  /** fs.mount-max: every named namespace is one bind mount under /run/netns. */
  mountMax?: number;
  /** Named namespaces already present (ours and others'). */
  existingNamespaces: number;
  /** Ports per bridge the kernel accepts (BR_MAX_PORTS - 1). */
  bridgePortLimit: number;
}

export interface PreflightIssue {
  /** `error`: the apply would fail; `warning`: it would work but something degrades or is close to a limit. */
  severity: 'error' | 'warning';
  code:
    | 'BridgePortLimit'
    | 'FileDescriptors'
    | 'FileTable'
    | 'NeighbourTable'
    | 'MountLimit'
    | 'Inotify'
    | 'ManyNamespaces';
  message: string;
  /** Lab object concerned, when one is. */
  object?: string;
}

export const BRIDGE_PORT_LIMIT = 1023;

/** The netlink agent holds a netns fd and a socket per namespace it touches during one execute. */
export const AGENT_FDS_PER_NAMESPACE = 2;
/** Descriptors a Node process uses for itself (libuv, stdio, addon, pipes to children) — generous. */
const BASE_FDS = 64;
/** Above this many namespaces on one host, full observations and teardowns take seconds (docs/SCALE.md). */
export const MANY_NAMESPACES = 2000;

export interface PreflightOptions {
  /** The netlink driver will run the apply (its agent keeps per-namespace descriptors open). */
  netlinkDriver?: boolean;
  /** Something watches per-namespace files with inotify (one watch per namespace), e.g. a discovery phase. */
  inotifyPerNamespace?: boolean;
}

/** Pure: what `lab` would hit on a machine with `limits` (empty = nothing to say). */
export function preflight(lab: Lab, limits: ScaleLimits, opts: PreflightOptions = {}): PreflightIssue[] {
  const issues: PreflightIssue[] = [];
  const namespaces = lab.nodes.filter((n) => n.kind === 'namespace');
  const nsCount = namespaces.length;
  const total = limits.existingNamespaces + nsCount;

  // Bridges: at most 1023 ports each ("Exchange full" on the 1024th).
  const ports = new Map<string, number>();
  for (const l of lab.links) for (const e of l.endpoints) ports.set(e.node, (ports.get(e.node) ?? 0) + 1);
  for (const n of lab.nodes) {
    if (n.kind !== 'bridge') continue;
    const p = ports.get(n.id) ?? 0;
    if (p > limits.bridgePortLimit)
      issues.push({
        severity: 'error',
        code: 'BridgePortLimit',
        object: n.id,
        message: `bridge '${n.name}' has ${p} ports; the kernel accepts at most ${limits.bridgePortLimit} per bridge ("Exchange full" on the next): split it into several bridges joined by a veth`,
      });
  }

  // File descriptors of the netlink agent (it inherits the server's limit; Node raises soft to hard).
  if (opts.netlinkDriver) {
    const need = BASE_FDS + AGENT_FDS_PER_NAMESPACE * total;
    const limit = Math.max(limits.nofileSoft, limits.nofileHard);
    if (need > limit)
      issues.push({
        severity: 'error',
        code: 'FileDescriptors',
        message: `this lab has ${nsCount} namespaces (${total} with those already on the host); the netlink agent needs ${AGENT_FDS_PER_NAMESPACE} file descriptors per namespace (about ${need}) and RLIMIT_NOFILE is ${limits.nofileSoft}/${limits.nofileHard}: raise it (e.g. LimitNOFILE=${nextPow2(need * 2)} or ulimit -n) or use the ip-batch driver`,
      });
    else if (need > limits.nofileSoft && limits.nofileSoft < limits.nofileHard)
      issues.push({
        severity: 'warning',
        code: 'FileDescriptors',
        message: `the netlink agent needs about ${need} file descriptors for ${total} namespaces, above the soft RLIMIT_NOFILE ${limits.nofileSoft} (Node raises it to the hard limit ${limits.nofileHard} at start-up, so this works; other tools started from the server may not)`,
      });
  }
  if (opts.netlinkDriver && limits.fileMax !== undefined) {
    const free = limits.fileMax - (limits.fileNr ?? 0);
    const need = AGENT_FDS_PER_NAMESPACE * total;
    if (need > free)
      issues.push({
        severity: 'error',
        code: 'FileTable',
        message: `the system's file table has room for ${free} more descriptors (fs.file-max ${limits.fileMax}); the netlink agent needs about ${need} for ${total} namespaces`,
      });
  }

  // Neighbour tables: the ARP table is one kernel table for ALL namespaces (gc_thresh3 caps its entries
  // host-wide), so many namespaces that each resolve a neighbour can overflow it together; and one L2
  // segment larger than gc_thresh3 overflows it on its own when a member talks to all the others.
  if (limits.neighGcThresh3 !== undefined) {
    const addressed = lab.links.reduce(
      (s, l) => s + l.endpoints.filter((e) => (e.addresses?.length ?? 0) > 0).length,
      0,
    );
    if (addressed + limits.existingNamespaces > limits.neighGcThresh3)
      issues.push({
        severity: 'warning',
        code: 'NeighbourTable',
        message: `${addressed} addressed interfaces (plus ${limits.existingNamespaces} namespaces already here) can hold more ARP entries than net.ipv4.neigh.default.gc_thresh3 (${limits.neighGcThresh3}), a limit shared by every namespace of the host: once traffic flows, expect "neighbour table overflow" and dropped packets; raise gc_thresh1/2/3 (e.g. to 4096/8192/16384)`,
      });
    for (const n of lab.nodes) {
      if (n.kind !== 'bridge') continue;
      const p = ports.get(n.id) ?? 0;
      if (p > limits.neighGcThresh3)
        issues.push({
          severity: 'warning',
          code: 'NeighbourTable',
          object: n.id,
          message: `bridge '${n.name}' joins ${p} hosts in one segment, more than net.ipv4.neigh.default.gc_thresh3 (${limits.neighGcThresh3}): a host talking to all of them overflows its neighbour table; raise gc_thresh3 in the namespaces or split the segment`,
        });
    }
  }

  // Every named namespace is a bind mount under /run/netns.
  if (limits.mountMax !== undefined && total > limits.mountMax * 0.9)
    issues.push({
      severity: total > limits.mountMax ? 'error' : 'warning',
      code: 'MountLimit',
      message: `${total} named namespaces need as many mounts under /run/netns; fs.mount-max is ${limits.mountMax}`,
    });

  if (opts.inotifyPerNamespace && limits.inotifyMaxUserWatches !== undefined && total > limits.inotifyMaxUserWatches)
    issues.push({
      severity: 'warning',
      code: 'Inotify',
      message: `${total} namespaces exceed fs.inotify.max_user_watches (${limits.inotifyMaxUserWatches}): watchers of per-namespace files will miss some (raise the sysctl)`,
    });

  if (total > MANY_NAMESPACES)
    issues.push({
      severity: 'warning',
      code: 'ManyNamespaces',
      message: `${total} namespaces on this host (${nsCount} in this lab): expect seconds per full observation with the ip-batch driver and long teardowns (the kernel frees namespaces in the background); see docs/SCALE.md`,
    });
  return issues;
}

const nextPow2 = (n: number) => 2 ** Math.ceil(Math.log2(Math.max(1, n)));

/** `Max open files  1024  524288  files` of /proc/PID/limits → [soft, hard] (unlimited → Infinity). */
export function parseNofile(limits: string): [number, number] | null {
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(limits);
  if (!m) return null;
  const v = (s: string) => (s === 'unlimited' ? Number.POSITIVE_INFINITY : Number(s));
  return [v(m[1]!), v(m[2]!)];
}

const intOrUndefined = (s: string | undefined): number | undefined => {
  const n = Number.parseInt((s ?? '').trim().split(/\s+/)[0] ?? '', 10);
  return Number.isFinite(n) ? n : undefined;
};

async function readProc(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

const GC_THRESH3 = '/proc/sys/net/ipv4/neigh/default/gc_thresh3';

/**
 * Reads the limits: this process's rlimit and global tables from /proc; per-netns values in the runner's world.
 * `namespaces`: the names already here when the caller is listing them anyway (an observation), else listed.
 */
export async function readLimits(runner: CommandRunner, namespaces?: Promise<string[]>): Promise<ScaleLimits> {
  const [limitsText, instances, watches, fileMax, fileNr, mountMax, names, gcHere] = await Promise.all([
    readProc('/proc/self/limits'),
    readProc('/proc/sys/fs/inotify/max_user_instances'),
    readProc('/proc/sys/fs/inotify/max_user_watches'),
    readProc('/proc/sys/fs/file-max'),
    readProc('/proc/sys/fs/file-nr'),
    readProc('/proc/sys/fs/mount-max'),
    namespaces ?? listNetns(runner).catch(() => [] as string[]),
    // The neighbour tables' gc thresholds are table-wide: only the initial namespace shows them.
    readProc(GC_THRESH3),
  ]);
  const gc =
    gcHere !== undefined
      ? { code: 0, stdout: gcHere }
      : await runner.run(['cat', GC_THRESH3], { timeoutMs: 10_000 }).catch(() => ({ code: 1, stdout: '' }));
  const [soft, hard] = parseNofile(limitsText ?? '') ?? [1024, 1024];
  const opt = <K extends string>(k: K, v: number | undefined) =>
    v === undefined ? {} : ({ [k]: v } as Record<K, number>);
  return {
    nofileSoft: soft,
    nofileHard: hard,
    ...opt('inotifyMaxUserInstances', intOrUndefined(instances)),
    ...opt('inotifyMaxUserWatches', intOrUndefined(watches)),
    ...opt('neighGcThresh3', gc.code === 0 ? intOrUndefined(gc.stdout) : undefined),
    ...opt('fileMax', intOrUndefined(fileMax)),
    ...opt('fileNr', intOrUndefined(fileNr)),
    ...opt('mountMax', intOrUndefined(mountMax)),
    existingNamespaces: names.length,
    bridgePortLimit: BRIDGE_PORT_LIMIT,
  };
}
