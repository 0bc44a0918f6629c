/**
 * Confinement of what the live tools start (issue #13 items 6 and 10): every terminal, capture and exec runs
 * as `[ip netns exec NS] unshare --pid --fork --kill-child --mount-proc -- setpriv … -- PROGRAM`, so
 * - it has its own PID namespace with a fresh /proc: host (and sandbox-holder) PIDs are invisible, so
 *   `nsenter -t 1 -n` or `--net=/proc/PID/ns/net` finds nothing outside; killing the `unshare` we spawned
 *   kills its child (PID 1 there, `--kill-child`) and with it every process of the namespace, `setsid` and
 *   double-forked jobs included;
 * - it keeps only CAP_NET_ADMIN and CAP_NET_RAW (bounding, inheritable and ambient sets): no CAP_SYS_ADMIN,
 *   so no setns/nsenter/mount/unshare into another namespace, no CAP_SYS_PTRACE, no CAP_DAC_OVERRIDE;
 * - when the server is real root, as the unprivileged user `nobody` (65534): not root on the real
 *   filesystem. Inside a user-namespace sandbox (server not root) only our own uid is mapped, so it stays
 *   the sandbox's uid 0 — which outside is the user who started Netloom — with the same two capabilities;
 * - in classroom mode (the runner's `tools` identity) as the student's own uid with RLIMIT_NPROC set
 *   (`prlimit --nproc`): a fork bomb in one student's terminal stops at their quota, and what one student's
 *   tools write on the shared filesystem is not another student's to change.
 * Fixed argv, never a shell.
 */
import type { ToolIdentity } from '../engine/contract';

/** The only capabilities a tool keeps: configure interfaces/routes, open raw/packet sockets (ping, tcpdump). */
export const TOOL_CAPS = ['net_admin', 'net_raw'] as const;
/** `nobody`: the uid (and gid) tools run as when the server is real root. */
export const TOOL_UID = 65534;

/** setpriv flags: keep only TOOL_CAPS; as `nobody` (or `uid`) when `dropUser`. */
export function privilegeFlags(dropUser: boolean, uid = TOOL_UID): string[] {
  // Staying uid 0 (user-namespace sandbox): tcpdump's `-Z root` still calls setuid/setgid(0), so those two
  // stay as well — only uid/gid 0 are mapped there, they can change to nothing else.
  const keep = dropUser ? TOOL_CAPS : [...TOOL_CAPS, 'setuid', 'setgid'];
  const caps = `-all,${keep.map((c) => `+${c}`).join(',')}`;
  return [
    ...(dropUser ? [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups'] : []),
    `--inh-caps=${caps}`,
    `--ambient-caps=${caps}`,
    `--bounding-set=${caps}`,
  ];
}

/** Does the server run as real root (then tools switch to `nobody`)? */
export const serverIsRoot = (): boolean => process.getuid?.() === 0;

/**
 * Who a tool becomes: `true` nobody, `false` stay (user-namespace sandbox), an identity its uid and process
 * limit (when the server is real root; otherwise only uid 0 is mapped and a limit would count the processes
 * of the user who started Netloom, so it stays as `false`). Unset: nobody when the server is root.
 */
export type Who = boolean | ToolIdentity;

/** `argv` in its own PID + mount namespace, with the reduced privileges (no netns prefix). */
export function confineArgv(argv: readonly string[], who: Who = serverIsRoot()): string[] {
  const id = typeof who === 'object' && serverIsRoot() ? who : null;
  const dropUser = typeof who === 'object' ? id !== null : who;
  const limit = id?.maxProcesses !== undefined ? ['prlimit', `--nproc=${id.maxProcesses}`, '--'] : [];
  return [
    'unshare',
    '--pid',
    '--fork',
    '--kill-child',
    '--mount-proc',
    '--',
    ...limit,
    'setpriv',
    ...privilegeFlags(dropUser, id?.uid),
    '--',
    ...argv,
  ];
}

/** `argv` confined, inside `netns` (null: the runner's root namespace). The runner's prefix goes in front. */
export function confinedInNetns(netns: string | null, argv: readonly string[], who?: Who): string[] {
  const inner = confineArgv(argv, who);
  return netns === null ? inner : ['ip', 'netns', 'exec', netns, ...inner];
}
