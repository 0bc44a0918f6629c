/**
 * Kernel feature detection, done once at open by trying: inside a throwaway network namespace (`unshare
 * --net`, entered through the runner so the sandbox's world is probed) one forced `ip -batch` creates one
 * object of each kind and lists what exists. Nothing is created where anyone can see it.
 */
import { release } from 'node:os';
import type { CommandRunner } from './contract';
import { splitJson } from './observe';

export const FEATURES = [
  'netns',
  'veth',
  'bridge',
  'macvlan',
  'vxlan',
  'tbf',
  'htb',
  'netem',
  'vlan',
  'bridgeVlan',
  'nftables',
  'gre',
  'ipip',
  'ip6tnl',
  'geneve',
] as const;

const PROBE = `link add nlp-veth0 type veth peer name nlp-veth1
link add nlp-br type bridge
link add nlp-mv link nlp-veth0 type macvlan mode bridge
link add nlp-vx type vxlan id 42 dstport 4789 local 127.0.0.1
link add nlp-vl link nlp-veth0 type vlan id 5
link add nlp-brv type bridge vlan_filtering 1
link add nlp-gre type gre remote 127.0.0.2 local 127.0.0.1
link add nlp-ipip type ipip remote 127.0.0.2 local 127.0.0.1
link add nlp-6tnl type ip6tnl mode any remote ::2 local ::1
link add nlp-gnv type geneve id 42 remote 127.0.0.2
link show
`;

/** One qdisc at a time on the fresh namespace's `lo`; each `show` prints one JSON array. */
const QDISC_PROBE = `qdisc add dev lo root tbf rate 1mbit burst 32kbit latency 400ms
qdisc show dev lo
qdisc del dev lo root
qdisc add dev lo root handle 1: htb default 1
qdisc show dev lo
qdisc del dev lo root
qdisc add dev lo root netem delay 1ms
qdisc show dev lo
`;

export async function detectCapabilities(runner: CommandRunner): Promise<Record<string, boolean>> {
  const caps: Record<string, boolean> = Object.fromEntries(FEATURES.map((f) => [f, false]));
  const r = await runner.run(['unshare', '--net', '--', 'ip', '-j', '-d', '-force', '-batch', '-'], {
    stdin: PROBE,
    timeoutMs: 20_000,
  });
  const docs = splitJson(r.stdout) as Record<string, unknown>[][];
  const links = docs[0] ?? [];
  const tc = await runner.run(['unshare', '--net', '--', 'tc', '-j', '-force', '-batch', '-'], {
    stdin: QDISC_PROBE,
    timeoutMs: 20_000,
  });
  const qdiscs = (splitJson(tc.stdout) as Record<string, unknown>[][]).flat();
  const has = (n: string) => links.some((l) => l.ifname === n);
  const q = (kind: string) => qdiscs.some((d) => d.kind === kind);
  caps.netns = links.length > 0; // the probe ran in a fresh namespace at all
  caps.veth = has('nlp-veth0');
  caps.bridge = has('nlp-br');
  caps.macvlan = has('nlp-mv');
  caps.vxlan = has('nlp-vx');
  caps.vlan = has('nlp-vl');
  caps.gre = has('nlp-gre');
  caps.ipip = has('nlp-ipip');
  caps.ip6tnl = has('nlp-6tnl');
  caps.geneve = has('nlp-gnv');
  // Bridge VLAN filtering: the bridge exists with vlan_filtering on, and `bridge vlan` (iproute2) runs.
  const brv = links.find((l) => l.ifname === 'nlp-brv') as { linkinfo?: { info_data?: { vlan_filtering?: number } } };
  if (brv?.linkinfo?.info_data?.vlan_filtering === 1) {
    const b = await runner.run(['unshare', '--net', '--', 'bridge', '-j', 'vlan', 'show'], { timeoutMs: 10_000 });
    caps.bridgeVlan = b.code === 0;
  }
  caps.tbf = q('tbf');
  caps.htb = q('htb');
  caps.netem = q('netem');
  const nft = await runner.run(['unshare', '--net', '--', 'nft', 'list', 'tables'], { timeoutMs: 10_000 });
  caps.nftables = nft.code === 0;
  return caps;
}

export async function detectVersions(runner: CommandRunner): Promise<Record<string, string>> {
  const r = await runner.run(['ip', '-V'], { timeoutMs: 10_000 });
  // Display only.
  const m = /iproute2-([\w.-]+)/.exec(r.stdout);
  return { iproute2: m?.[1] ?? (r.stdout.trim() || 'unknown'), kernel: release(), node: process.versions.node };
}
