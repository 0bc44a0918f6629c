/**
 * Kernel feature detection, done once at open by trying: inside a throwaway network namespace (`unshare
 * --net`, entered through the runner so the sandbox's world is probed) one forced `ip -batch` creates one
 * object of each kind and lists what exists. Nothing is created where anyone can see it. Each attached
 * kind's line and key come from its module (kinds/: `probe`, `probeArgs`).
 */
import { release } from 'node:os';
import type { CommandRunner } from './contract';
import { attachedKinds } from './kinds';
import { splitJson } from './observe';

/** Attached kinds the probe batch tests: their capabilities() key and the link it makes. */
const KIND_PROBES = attachedKinds().flatMap((k) =>
  k.probe !== undefined && k.probeArgs
    ? [{ key: k.probe, ifname: `nlp-${k.probe}`, args: k.probeArgs('nlp-veth0') }]
    : [],
);

export const FEATURES = [
  'netns',
  'veth',
  'bridge',
  ...new Set(KIND_PROBES.map((p) => p.key)),
  'tbf',
  'htb',
  'netem',
  'bridgeVlan',
  'nftables',
];

/** The probe batch: the lower veth pair, the bridges, one link per attached kind, then `link show`. */
export const PROBE = `link add nlp-veth0 type veth peer name nlp-veth1
link add nlp-br type bridge
link add nlp-brv type bridge vlan_filtering 1
${KIND_PROBES.map((p) => `link add ${p.ifname} ${p.args.join(' ')}\n`).join('')}link show
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
  for (const p of KIND_PROBES) caps[p.key] = has(p.ifname);
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
