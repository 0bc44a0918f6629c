/**
 * WireGuard as an engine kind (issue #15): everything the engine does for `kind: wireguard` beyond the
 * kernel objects the planner makes (the device — a TUN for wireguard-go or the kernel's wireguard link —
 * its marker, MTU, addresses, routes from allowed IPs). Here: the capability, the keys, and the configured
 * device: wireguard-go daemons started/configured/restarted/stopped through the supervisor, or the kernel
 * link configured with `wg syncconf` (config on stdin: a key never reaches argv). Called from engine.ts at
 * five local points — open (detect + reconcile orphans), apply (before: stop daemons the lab dropped;
 * after the kernel ops: configure), destroy (stop first), status (UAPI state per interface; a dead daemon
 * of an applied lab is restarted) and plan (the equivalent `wg` lines). Meant to move into the engine's
 * kind-module registry as is.
 *
 * Crash safety: daemons carry the marker `NETLOOM_WG=<instance>:<lab>:<object>`. Recovery at open runs after
 * the journal's rollback and stops every marked daemon whose lab's applied record does not hold its object,
 * so a kill -9 anywhere in an apply leaves no process behind (and the rollback removed the TUN devices).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Lab } from '../../../shared';
import { detectWireguard, type WireguardCapability, type WireguardMode } from '../../wireguard/capability';
import { deviceConfig, shellLines, type WireguardSpec, wireguardSpecs } from '../../wireguard/config';
import { WireguardKeys } from '../../wireguard/keys';
import { WireguardSupervisor, type WireguardTarget } from '../../wireguard/supervisor';
import type { DeviceConfig, DeviceState } from '../../wireguard/uapi';
import type { CommandRunner } from '../contract';

/** What status shows of one WireGuard interface (public keys only). */
export interface WireguardObservation {
  mode: WireguardMode;
  /** wireguard-go runs (userspace) / the device answers `wg show` (kernel). */
  running: boolean;
  pid?: number;
  publicKey: string | null;
  listenPort: number | null;
  peers: {
    publicKey: string;
    endpoint?: string;
    allowedIps: string[];
    lastHandshakeMs: number | null;
    rxBytes: number;
    txBytes: number;
  }[];
}

export interface WireguardRealizeError {
  object: string;
  message: string;
  argv?: string[];
  stderr?: string;
}

const target = (s: WireguardSpec): WireguardTarget => ({
  lab: s.lab,
  object: s.object,
  netns: s.netns,
  ifname: s.ifname,
});

export class WireguardRuntime {
  readonly keys: WireguardKeys;
  readonly supervisor: WireguardSupervisor;
  private cap: WireguardCapability | null = null;
  private restarting = new Set<string>();
  /**
   * Written before the first daemon of this state dir starts: without it no daemon of ours can exist, and
   * the /proc scans (tens of ms on a busy host) are skipped at open and around applies of other labs.
   */
  private readonly usedFile: string;

  constructor(
    stateDir: string,
    private readonly runner: CommandRunner,
    log?: Logger,
  ) {
    this.keys = WireguardKeys.open(stateDir);
    this.supervisor = WireguardSupervisor.open({ stateDir, runner, ...(log && { log }) });
    this.usedFile = join(stateDir, 'wireguard', 'used');
  }

  private used(): boolean {
    return existsSync(this.usedFile);
  }

  async detect(): Promise<WireguardCapability> {
    this.cap = await detectWireguard(this.runner);
    return this.cap;
  }

  /** Probes once, when a lab with WireGuard first needs it (engines opened without the capability probe). */
  async ready(lab: Lab): Promise<void> {
    if (this.cap === null && wireguardObjects(lab).length) await this.detect();
  }

  get mode(): WireguardMode | null {
    return this.cap?.mode ?? null;
  }

  /** Plan options: how WireGuard is realized here (unknown before detect(): refused). */
  planOptions(): { wireguard: WireguardMode | null; wireguardMessage?: string } {
    return {
      wireguard: this.mode,
      ...(this.cap?.message !== undefined && { wireguardMessage: this.cap.message }),
      ...(this.cap === null && { wireguardMessage: 'WireGuard support was not probed on this host' }),
    };
  }

  /** The lab's WireGuard interfaces, public keys derived from the keys kept for it (generated on first use). */
  specs(lab: Lab): WireguardSpec[] {
    if (!lab.nodes.some((n) => n.kind === 'namespace' && n.interfaces?.some((x) => x.kind === 'wireguard'))) return [];
    return wireguardSpecs(lab, (node, ifname) => this.keys.publicKey(lab.name, node, ifname));
  }

  private config(s: WireguardSpec): DeviceConfig {
    return deviceConfig(s, this.keys.get(s.lab, s.node, s.ifname));
  }

  /** Before an apply's kernel ops: daemons of this lab that the new design no longer has are stopped. */
  async prepare(lab: Lab): Promise<void> {
    if (!this.used()) return;
    const want = new Set(this.specs(lab).map((s) => s.object));
    for (const d of this.supervisor.list())
      if (d.lab === lab.name && !want.has(d.object)) await this.supervisor.stop(d);
  }

  /** After the kernel ops: every WireGuard interface of `lab` configured (daemons started where missing). */
  async realize(lab: Lab): Promise<WireguardRealizeError | null> {
    const mode = this.mode;
    const specs = this.specs(lab);
    if (specs.length && mode === 'userspace' && !this.used()) writeFileSync(this.usedFile, '', { mode: 0o600 });
    for (const s of specs) {
      try {
        if (mode === 'kernel') {
          const err = await this.syncKernel(s);
          if (err) return err;
        } else await this.supervisor.ensure(target(s), this.config(s), s.mtu);
      } catch (e) {
        return {
          object: s.object,
          message: `WireGuard ${s.ifname} in '${s.netns}': ${(e as Error).message}`,
          ...((e as { detail?: { argv?: string[] } }).detail?.argv && {
            argv: (e as { detail: { argv: string[] } }).detail.argv,
          }),
        };
      }
    }
    return null;
  }

  /** Stops every daemon of `lab` (before a destroy deletes its devices). */
  async stopLab(lab: string): Promise<void> {
    if (!this.used()) return;
    await this.supervisor.stopLab(lab);
  }

  /**
   * After recovery: every daemon of ours whose lab is not applied with that interface is stopped (an
   * interrupted apply, a destroy that crashed, a lab applied by a server whose state was lost).
   */
  async reconcile(appliedLab: (name: string) => Promise<Lab | null>): Promise<string[]> {
    if (!this.used()) return [];
    const labs = new Set(this.supervisor.list().map((d) => d.lab));
    const keep = new Set<string>();
    for (const name of labs) {
      const lab = await appliedLab(name).catch(() => null);
      if (!lab) continue;
      for (const x of wireguardObjects(lab)) keep.add(`${name}\0${x}`);
    }
    const r = await this.supervisor.reconcile((d) => keep.has(`${d.lab}\0${d.object}`));
    return r.stopped.map((d) => `${d.lab}:${d.object}`);
  }

  /**
   * The live state of each WireGuard interface of `lab` (by object `<node>/<ifname>`). Keys are only read,
   * never generated, here: a lab never planned has no public key yet. `dead` lists interfaces whose daemon
   * is not running.
   */
  async observe(lab: Lab): Promise<{ byObject: Map<string, WireguardObservation>; dead: string[] }> {
    const byObject = new Map<string, WireguardObservation>();
    const dead: string[] = [];
    const mode = this.mode;
    if (mode === null || !wireguardObjects(lab).length) return { byObject, dead };
    const specs = wireguardSpecs(lab, (node, ifname) => this.keys.find(lab.name, node, ifname)?.publicKey() ?? '');
    for (const s of specs) {
      let state: DeviceState | null = null;
      let pid: number | undefined;
      try {
        if (mode === 'kernel') state = await this.showKernel(s);
        else {
          const d = this.supervisor.find(target(s), false);
          if (d) pid = d.pid;
          state = await this.supervisor.observe(target(s));
        }
      } catch {
        state = null;
      }
      if (!state) dead.push(s.object);
      const publicKey = state?.publicKey ?? this.keys.find(lab.name, s.node, s.ifname)?.publicKey() ?? null;
      byObject.set(s.object, {
        mode,
        running: state !== null,
        ...(pid !== undefined && { pid }),
        publicKey,
        listenPort: state?.listenPort ?? s.listenPort ?? null,
        peers: (state?.peers ?? []).map((p) => ({
          publicKey: p.publicKey,
          ...(p.endpoint !== undefined && { endpoint: p.endpoint }),
          allowedIps: p.allowedIps,
          lastHandshakeMs: p.lastHandshakeMs,
          rxBytes: p.rxBytes,
          txBytes: p.txBytes,
        })),
      });
    }
    return { byObject, dead };
  }

  /** Guards a background restart of `lab`'s daemons (one at a time per lab). */
  beginRestart(lab: string): boolean {
    if (this.restarting.has(lab)) return false;
    this.restarting.add(lab);
    return true;
  }
  endRestart(lab: string): void {
    this.restarting.delete(lab);
  }

  /** The plan's equivalent shell lines for the lab's WireGuard configuration (key files named, never keys). */
  scriptLines(lab: Lab): string[] {
    const mode = this.mode;
    if (mode === null) return [];
    return this.specs(lab).flatMap((s) => [
      `# WireGuard ${s.ifname} in ${s.netns} (${mode === 'kernel' ? 'kernel module' : 'wireguard-go'})`,
      ...shellLines(s, mode, this.keys.path(s.lab, s.node, s.ifname)).slice(1),
    ]);
  }

  // ─── the kernel module (not on this CI kernel; same UAPI semantics through `wg`) ───────────────────

  private nsExec(s: WireguardSpec, ...argv: string[]): string[] {
    return ['ip', 'netns', 'exec', s.netns, ...argv];
  }

  private async syncKernel(s: WireguardSpec): Promise<WireguardRealizeError | null> {
    const c = this.config(s);
    const lines = ['[Interface]', `PrivateKey = ${c.privateKey.reveal()}`];
    if (c.listenPort !== undefined) lines.push(`ListenPort = ${c.listenPort}`);
    for (const p of c.peers) {
      lines.push('', '[Peer]', `PublicKey = ${p.publicKey}`);
      if (p.endpoint) lines.push(`Endpoint = ${p.endpoint}`);
      if (p.allowedIps.length) lines.push(`AllowedIPs = ${p.allowedIps.join(', ')}`);
      if (p.persistentKeepalive) lines.push(`PersistentKeepalive = ${p.persistentKeepalive}`);
    }
    const argv = this.nsExec(s, 'wg', 'syncconf', s.ifname, '/dev/stdin');
    const r = await this.runner.run(argv, { stdin: `${lines.join('\n')}\n`, timeoutMs: 10_000 });
    if (r.code === 0) return null;
    return { object: s.object, message: `wg syncconf ${s.ifname} failed: ${r.stderr.trim()}`, argv, stderr: r.stderr };
  }

  /** `wg show IF dump`; its first line holds the private key, dropped here on the spot. */
  private async showKernel(s: WireguardSpec): Promise<DeviceState | null> {
    const r = await this.runner.run(this.nsExec(s, 'wg', 'show', s.ifname, 'dump'), { timeoutMs: 10_000 });
    if (r.code !== 0) return null;
    return parseDump(r.stdout);
  }
}

/** `wg show IF dump` → state (first line: private public port fwmark; then one line per peer). */
export function parseDump(text: string): DeviceState {
  const [first = '', ...rest] = text.trim().split('\n');
  const f = first.split('\t');
  const state: DeviceState = {
    publicKey: f[1] && f[1] !== '(none)' ? f[1] : null,
    listenPort: Number(f[2]) || 0,
    peers: [],
  };
  for (const line of rest) {
    const p = line.split('\t');
    if (p.length < 8) continue;
    const hs = Number(p[4]);
    state.peers.push({
      publicKey: p[0]!,
      ...(p[2] && p[2] !== '(none)' && { endpoint: p[2] }),
      allowedIps: p[3] && p[3] !== '(none)' ? p[3].split(',') : [],
      lastHandshakeMs: hs > 0 ? hs * 1000 : null,
      rxBytes: Number(p[5]) || 0,
      txBytes: Number(p[6]) || 0,
      persistentKeepalive: p[7] === 'off' ? 0 : Number(p[7]) || 0,
    });
  }
  return state;
}

/** Marker objects (`<node>/<ifname>`) of a lab's WireGuard interfaces. */
export function wireguardObjects(lab: Lab): string[] {
  const out: string[] = [];
  for (const n of lab.nodes)
    if (n.kind === 'namespace')
      for (const x of n.interfaces ?? []) if (x.kind === 'wireguard') out.push(`${n.id}/${x.name}`);
  return out;
}
