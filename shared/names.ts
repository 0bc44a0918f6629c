/**
 * Kernel-facing name rules, shared by the schema (browser and server). These allowlists are the only
 * guard between user text and argv: iproute2 accepts `a;b`, `-x`, `dev`, `eth%d` and non-ASCII names.
 * Pure; imports nothing.
 */

/** IFNAMSIZ is 16 bytes including the terminating NUL, so 15 bytes of name. */
export const IFNAME_MAX_BYTES = 15;
/** Network namespace names become file names under /run/netns; keep them short and plain. */
export const NETNS_NAME_MAX_BYTES = 64;

/** Words iproute2 may read as a keyword (or a prefix of one, e.g. `h` → `help`) instead of a name. */
export const IPROUTE2_KEYWORDS: ReadonlySet<string> = new Set([
  'all',
  'any',
  'dev',
  'default',
  'help',
  'list',
  'link',
  'name',
  'netns',
  'none',
  'type',
  'up',
  'down',
  'master',
  'nomaster',
  'add',
  'del',
  'delete',
  'set',
  'show',
  'flush',
  'get',
  'exec',
  'identify',
  'pids',
  'monitor',
  'attach',
  'peer',
  'via',
  'to',
  'table',
  'local',
  'broadcast',
  'scope',
  'proto',
  'metric',
  'mtu',
  'address',
  'addr',
  'lladdr',
  'vrf',
  'group',
  'alias',
  'altname',
  'prop',
  'property',
  'qlen',
  'txqueuelen',
]);

const NAME_CHARS = /^[A-Za-z0-9_.-]+$/;

/**
 * UTF-8 length of `s` (what the kernel counts against IFNAMSIZ), as TextEncoder would encode it: a lone
 * surrogate becomes U+FFFD, 3 bytes. Counted by hand: shared/ has no DOM or node globals.
 */
export function byteLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2; // a surrogate pair (2 UTF-16 units) is 4 bytes
      i++;
    } else n += 2;
  }
  return n;
}

/**
 * A name quoted for a message: JSON-escaped (a newline shows as `\n`, not as a line break) and cut short,
 * so a 1 MB name never becomes a 1 MB error message.
 */
export function quoteName(name: string, max = 24): string {
  const cut = name.length > max ? `${name.slice(0, max)}…` : name;
  return JSON.stringify(cut);
}

/** Returns null when `name` is a safe interface name, else a message a student understands. */
export function ifnameProblem(name: string): string | null {
  if (name.length === 0) return 'an interface name cannot be empty';
  const bytes = byteLength(name);
  if (bytes > IFNAME_MAX_BYTES)
    return `${quoteName(name)} is ${bytes} bytes long; Linux allows at most ${IFNAME_MAX_BYTES} bytes in an interface name`;
  return plainNameProblem(name, 'an interface name');
}

/** Returns null when `name` is a safe network-namespace name, else a message. */
export function netnsNameProblem(name: string): string | null {
  if (name.length === 0) return 'a namespace name cannot be empty';
  const bytes = byteLength(name);
  if (bytes > NETNS_NAME_MAX_BYTES)
    return `${quoteName(name)} is ${bytes} bytes long; keep namespace names to ${NETNS_NAME_MAX_BYTES}`;
  return plainNameProblem(name, 'a namespace name');
}

function plainNameProblem(name: string, what: string): string | null {
  if (!NAME_CHARS.test(name))
    return `${what} may only use letters A–Z/a–z, digits, "_", "." and "-" (got ${quoteName(name)})`;
  if (name.startsWith('-')) return `${what} cannot start with "-" (ip would read it as an option)`;
  if (name.startsWith('.')) return `${what} cannot start with "." ("." and ".." are directory names)`;
  if (name.includes('%')) return `${what} cannot contain "%" (the kernel treats it as a numbering template)`;
  if (IPROUTE2_KEYWORDS.has(name.toLowerCase()))
    return `${quoteName(name)} is an ip command keyword; ip would misread it as a name — choose another`;
  // `ip` accepts unambiguous prefixes of `help`; a name like `h` or `he` would print help instead.
  if (name.length < 4 && 'help'.startsWith(name.toLowerCase()))
    return `${quoteName(name)} is read by ip as "help"; choose a longer name`;
  return null;
}

/** Stable object ids: never reach the kernel except inside our marker, so keep them plain. */
export const ID_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,47}$/;
/** Lab names are file names in the state directory and part of every ownership marker. */
export const LAB_NAME_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;
