/**
 * Rules both decoders (observe.ts for `ip -j`, netlink/observe.ts for rtnetlink) apply, so the two
 * observations stay deep-equal: which root qdiscs count as the kernel's default, and the names of the
 * sysctls Netloom manages. (Marker spelling lives in marker.ts.)
 */

/** Root qdiscs the kernel installs by itself: observed as "no qdisc" (ObservedLink.qdisc absent). */
export const DEFAULT_QDISCS: ReadonlySet<string> = new Set([
  'noqueue',
  'noop',
  'fq_codel',
  'pfifo_fast',
  'mq',
  'fq',
  'pfifo',
  'cake',
  'sfq',
]);

/** `all` and `default`: the scopes of the per-namespace IPv4 sysctls Netloom reads and sets. */
export type ConfScope = 'all' | 'default';

export const rpFilterKey = (scope: ConfScope): string => `net.ipv4.conf.${scope}.rp_filter`;
export const proxyArpKey = (scope: ConfScope): string => `net.ipv4.conf.${scope}.proxy_arp`;
export const IPV4_FORWARD_KEY = 'net.ipv4.ip_forward';

/** rp_filter as `ip netconf` prints it → its sysctl value. */
export const RP_FILTER_VALUES: Readonly<Record<string, string>> = { off: '0', strict: '1', loose: '2' };
