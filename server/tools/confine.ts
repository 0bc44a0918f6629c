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
 *   the sandbox's uid 0 — which outside is the user who started Netloom — with the same two capabilities.
 * Fixed argv, never a shell.
 */
/** The only capabilities a tool keeps: configure interfaces/routes, open raw/packet sockets (ping, tcpdump). */
export const TOOL_CAPS = ['net_admin', 'net_raw'] as const;
/** `nobody`: the uid (and gid) tools run as when the server is real root. */
export const TOOL_UID = 65534;

/** setpriv flags: keep only TOOL_CAPS; as `nobody` when `dropUser`. */
export function privilegeFlags(dropUser: boolean): string[] {
  // Staying uid 0 (user-namespace sandbox): tcpdump's `-Z root` still calls setuid/setgid(0), so those two
  // stay as well — only uid/gid 0 are mapped there, they can change to nothing else.
  const keep = dropUser ? TOOL_CAPS : [...TOOL_CAPS, 'setuid', 'setgid'];
  const caps = `-all,${keep.map((c) => `+${c}`).join(',')}`;
  return [
    ...(dropUser ? [`--reuid=${TOOL_UID}`, `--regid=${TOOL_UID}`, '--clear-groups'] : []),
    `--inh-caps=${caps}`,
    `--ambient-caps=${caps}`,
    `--bounding-set=${caps}`,
  ];
}

/** Does the server run as real root (then tools switch to `nobody`)? */
export const serverIsRoot = (): boolean => process.getuid?.() === 0;

/** `argv` in its own PID + mount namespace, with the reduced privileges (no netns prefix). */
export function confineArgv(argv: readonly string[], dropUser = serverIsRoot()): string[] {
  return [
    'unshare',
    '--pid',
    '--fork',
    '--kill-child',
    '--mount-proc',
    '--',
    'setpriv',
    ...privilegeFlags(dropUser),
    '--',
    ...argv,
  ];
}

/** `argv` confined, inside `netns` (null: the runner's root namespace). The runner's prefix goes in front. */
export function confinedInNetns(netns: string | null, argv: readonly string[], dropUser = serverIsRoot()): string[] {
  const inner = confineArgv(argv, dropUser);
  return netns === null ? inner : ['ip', 'netns', 'exec', netns, ...inner];
}
