/**
 * The wireguard-go processes Netloom owns: one daemon per (lab, node, interface), attached to a TUN device
 * the engine made (persistent: its addresses, routes and marker outlive the process), started through the
 * runner's prefix so it lives in the runner's world, found again by marker, observed and configured over its
 * UAPI socket, restarted when it died, stopped with its lab. Must not: signal a process that does not carry
 * our exact marker (and, for a recorded PID, our recorded start time), spawn a shell, or log a key.
 *
 * Marker: the environment variable NETLOOM_WG=`<instance>:<lab>:<node>/<ifname>` (inherited through nsenter
 * and exec; readable in /proc/PID/environ), where `instance` is a random id kept in the state dir, so two
 * servers (or two test sandboxes) with labs of the same name never touch each other's daemons. A pidfile
 * per target records PID + start time for the fast path; a /proc scan finds what a crash left unrecorded.
 *
 * UAPI socket: wireguard-go always listens on /run/wireguard/IF.sock, so two namespaces with an interface
 * of the same name would collide. Each daemon therefore runs in a mount namespace of its own with a tmpfs
 * on /run: a short-lived holder (`unshare --mount … sleep`) makes the namespace, `mount` puts the tmpfs in
 * it, wireguard-go starts inside it (`nsenter --mount=/proc/HOLDER/ns/mnt --net=/run/netns/NS`), and the
 * holder goes. The socket is reached from here as /proc/PID/root/run/wireguard/IF.sock; it vanishes with
 * the daemon, so nothing is left in any /run.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type { CommandRunner } from '../engine/contract';
import { findMarked, isSameProcess, type ProcInfo, readProc } from './procfs';
import {
  type DeviceConfig,
  type DeviceState,
  GET_REQUEST,
  parseGet,
  parseSet,
  sameConfig,
  setRequest,
  UapiError,
  uapiRequest,
} from './uapi';

/** Which interface a daemon serves. `netns` null = the world's root namespace. */
export interface WireguardTarget {
  lab: string;
  /** `<node>/<ifname>`: the lab object, as in the interface's ownership marker. */
  object: string;
  netns: string | null;
  ifname: string;
}

/** A daemon of ours that is running. */
export interface Daemon extends WireguardTarget {
  pid: number;
  /** Start time in clock ticks since boot (with the PID, its identity). */
  start: number;
}

export interface SupervisorOptions {
  stateDir: string;
  /** Its prefix decides the world the daemons live in (host, or a sandbox entered by nsenter). */
  runner: CommandRunner;
  log?: Logger;
  /** The wireguard-go program (default: from PATH). */
  program?: string;
  /** How long a daemon may take to open its socket (default 15 s: a loaded CI machine). */
  startTimeoutMs?: number;
}

export type StartAction = 'kept' | 'reconfigured' | 'started';

export class WireguardError extends Error {
  constructor(
    readonly code: 'HostCommandFailed' | 'Conflict',
    message: string,
    readonly detail?: { argv?: string[]; stderr?: string },
  ) {
    super(message);
  }
}

/** wireguard-go's own default; it sets the TUN device to it at every start. */
const WIREGUARD_GO_MTU = 1420;
/** The holder needs to live only until the daemon is in its namespace; if we crash, it ends by itself. */
const HOLDER_SECONDS = '60';
const POLL_MS = 20;

interface PidRecord extends Daemon {
  marker: string;
  startedAt: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class WireguardSupervisor {
  readonly instance: string;
  private readonly dir: string;
  private readonly program: string;
  private readonly startTimeoutMs: number;

  private constructor(private readonly opts: SupervisorOptions) {
    this.dir = join(opts.stateDir, 'wireguard');
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.instance = instanceId(this.dir);
    this.program = opts.program ?? 'wireguard-go';
    this.startTimeoutMs = opts.startTimeoutMs ?? 15_000;
  }

  static open(opts: SupervisorOptions): WireguardSupervisor {
    return new WireguardSupervisor(opts);
  }

  /** The exact marker a daemon for `t` carries. */
  marker(t: Pick<WireguardTarget, 'lab' | 'object'>): string {
    return `${this.instance}:${t.lab}:${t.object}`;
  }

  /** UAPI socket of a running daemon, seen through its own mount namespace. */
  socketPath(d: Daemon): string {
    return `/proc/${d.pid}/root/run/wireguard/${d.ifname}.sock`;
  }

  /**
   * The running daemon for `t`, or null. The pidfile is checked first (PID, start time and marker must all
   * match); `scan` also looks through /proc, for a daemon a crash left without a pidfile.
   */
  find(t: WireguardTarget, scan = true): Daemon | null {
    const rec = this.readRecord(t);
    if (rec && isSameProcess(rec.pid, rec.start, this.marker(t))) return { ...t, pid: rec.pid, start: rec.start };
    if (!scan) return null;
    const found = this.scan().find((d) => d.role === 'daemon' && d.lab === t.lab && d.object === t.object);
    return found ? { ...t, pid: found.pid, start: found.start } : null;
  }

  /** Every running daemon of this instance. */
  list(): Daemon[] {
    return this.scan()
      .filter((d) => d.role === 'daemon')
      .map(({ role: _r, ...d }) => d);
  }

  /**
   * Makes `t` run with `config`: a running daemon is kept when it already has it (a reconfigure would
   * restart the peers' sessions) or reconfigured; a missing one (never started, or it died) is started.
   * `mtu` is restored after a start (wireguard-go resets the device to 1420).
   */
  async ensure(
    t: WireguardTarget,
    config: DeviceConfig,
    mtu = WIREGUARD_GO_MTU,
  ): Promise<{ daemon: Daemon; action: StartAction }> {
    const running = this.find(t);
    if (running) {
      const state = await this.get(running);
      if (sameConfig(state, config)) return { daemon: running, action: 'kept' };
      await this.set(running, config);
      return { daemon: running, action: 'reconfigured' };
    }
    const daemon = await this.start(t, config, mtu);
    return { daemon, action: 'started' };
  }

  /** Starts a daemon for `t` (none may be running) on its existing TUN device and configures it. */
  async start(t: WireguardTarget, config: DeviceConfig, mtu = WIREGUARD_GO_MTU): Promise<Daemon> {
    if (this.find(t)) throw new WireguardError('Conflict', `a WireGuard daemon for ${t.object} is already running`);
    await this.checkDevice(t);
    const token = randomBytes(8).toString('hex');
    const env = (role: 'holder' | 'daemon') => ({
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      LC_ALL: 'C',
      NETLOOM_WG: this.marker(t),
      NETLOOM_WG_ROLE: role,
      NETLOOM_WG_START: token,
      NETLOOM_WG_NETNS: t.netns ?? '',
      NETLOOM_WG_IFNAME: t.ifname,
      // wireguard-go: stay in the foreground (we are its supervisor), and log only errors.
      WG_PROCESS_FOREGROUND: '1',
      LOG_LEVEL: 'error',
    });
    let holder: ProcInfo | null = null;
    let daemon: ProcInfo | null = null;
    const logFile = this.logPath(t);
    try {
      // 1. A mount namespace of its own, held by a short sleep.
      const h = this.spawnDetached(
        ['unshare', '--mount', '--propagation', 'private', '--', 'sleep', HOLDER_SECONDS],
        env('holder'),
        null,
      );
      holder = await this.awaitProcess(h, token, 'holder', 'sleep');
      // 2. A private /run in it: wireguard-go's /run/wireguard/IF.sock is then its own.
      const mnt = `--mount=/proc/${holder.pid}/ns/mnt`;
      const mount = ['nsenter', mnt, '--', 'mount', '-t', 'tmpfs', '-o', 'mode=0755,size=1m', 'netloom-wg', '/run'];
      const r = await this.opts.runner.run(mount, { timeoutMs: 10_000 });
      if (r.code !== 0)
        throw new WireguardError('HostCommandFailed', `cannot give wireguard-go a private /run: ${r.stderr.trim()}`, {
          argv: mount,
          stderr: r.stderr,
        });
      // 3. The daemon, in that mount namespace and the target network namespace.
      mkdirSync(dirname(logFile), { recursive: true, mode: 0o700 });
      const argv = [
        'nsenter',
        mnt,
        ...(t.netns === null ? [] : [`--net=/run/netns/${t.netns}`]),
        '--',
        this.program,
        t.ifname,
      ];
      const w = this.spawnDetached(argv, env('daemon'), logFile);
      daemon = await this.awaitProcess(w, token, 'daemon', 'wireguard-go', logFile);
      const d: Daemon = { ...t, pid: daemon.pid, start: daemon.start };
      await this.awaitSocket(d, logFile);
      await this.kill(holder);
      holder = null;
      this.writeRecord(d);
      await this.set(d, config);
      if (mtu !== WIREGUARD_GO_MTU) await this.setMtu(t, mtu);
      this.opts.log?.info({ lab: t.lab, object: t.object, pid: d.pid }, 'wireguard-go started');
      return d;
    } catch (e) {
      // Nothing of a failed start may outlive it: wait until the killed processes are really gone.
      for (const p of [daemon, holder]) if (p) await this.kill(p);
      this.removeRecord(t);
      throw e;
    }
  }

  /** The device's state over UAPI, or null when no daemon runs for `t` (no /proc scan: cheap enough per sample). */
  async observe(t: WireguardTarget): Promise<DeviceState | null> {
    const d = this.find(t, false);
    if (!d) return null;
    try {
      return await this.get(d);
    } catch (e) {
      // It may have died between the check and the request.
      if (!isSameProcess(d.pid, d.start, this.marker(t))) return null;
      throw e;
    }
  }

  /** Stops the daemon of `t` (SIGTERM, then SIGKILL after 3 s). True when one was running. */
  async stop(t: WireguardTarget): Promise<boolean> {
    const d = this.find(t);
    this.removeRecord(t);
    if (!d) return false;
    await this.terminate(d);
    this.opts.log?.info({ lab: t.lab, object: t.object, pid: d.pid }, 'wireguard-go stopped');
    return true;
  }

  /**
   * After a start-up or a recovery: every daemon of this instance that `keep` does not want (labs not
   * applied, or objects of an interrupted apply) is stopped, and so is every leftover holder. Pidfiles of
   * daemons that no longer run are removed.
   */
  async reconcile(keep: (d: Daemon) => boolean): Promise<{ stopped: Daemon[]; kept: Daemon[] }> {
    const stopped: Daemon[] = [];
    const kept: Daemon[] = [];
    for (const p of this.scan()) {
      const { role, ...d } = p;
      if (role === 'daemon' && keep(d)) {
        kept.push(d);
        this.writeRecord(d);
        continue;
      }
      await this.terminate(d);
      if (role === 'daemon') {
        stopped.push(d);
        this.removeRecord(d);
      }
    }
    this.pruneRecords(new Set(kept.map((d) => this.marker(d))));
    if (stopped.length)
      this.opts.log?.info({ stopped: stopped.map((d) => `${d.lab}:${d.object}`) }, 'wireguard-go orphans stopped');
    return { stopped, kept };
  }

  /** Stops every daemon of `lab`. */
  async stopLab(lab: string): Promise<Daemon[]> {
    return (await this.reconcile((d) => d.lab !== lab)).stopped;
  }

  // ─── UAPI ───────────────────────────────────────────────────────────────────────────────────────────

  private async get(d: Daemon): Promise<DeviceState> {
    return parseGet(await uapiRequest(this.socketPath(d), GET_REQUEST));
  }

  private async set(d: Daemon, config: DeviceConfig): Promise<void> {
    parseSet(await uapiRequest(this.socketPath(d), setRequest(config)));
  }

  // ─── processes ──────────────────────────────────────────────────────────────────────────────────────

  /** Spawns `prefix ++ argv` in its own session, outliving this process; output to `logFile` or nowhere. */
  private spawnDetached(argv: string[], env: Record<string, string>, logFile: string | null): number {
    const full = [...this.opts.runner.prefix, ...argv];
    const fd = logFile === null ? null : openSync(logFile, 'w', 0o600);
    try {
      const child = spawn(full[0]!, full.slice(1), {
        detached: true,
        stdio: ['ignore', fd ?? 'ignore', fd ?? 'ignore'],
        env,
      });
      child.on('error', () => {});
      child.unref();
      if (child.pid === undefined)
        throw new WireguardError('HostCommandFailed', `cannot start ${argv[0]}`, { argv: full });
      return child.pid;
    } finally {
      if (fd !== null) closeSync(fd);
    }
  }

  /**
   * The process a spawn became once its exec chain (nsenter → unshare → …) reached `comm`: the spawned PID
   * itself when the prefix execs, else found by its one-time token (a prefix that forks).
   */
  private async awaitProcess(
    spawned: number,
    token: string,
    role: 'holder' | 'daemon',
    comm: string,
    logFile?: string,
  ): Promise<ProcInfo> {
    const deadline = Date.now() + this.startTimeoutMs;
    const mine = (p: ProcInfo | null) =>
      p !== null && p.env.NETLOOM_WG_START === token && p.env.NETLOOM_WG_ROLE === role && p.comm === comm;
    for (let i = 0; ; i++) {
      const direct = readProc(spawned);
      if (mine(direct)) return direct!;
      if (direct === null || i % 5 === 4) {
        const found = findMarked((_m, p) => mine(p));
        if (found[0]) return found[0];
        if (direct === null && i > 0)
          throw new WireguardError('HostCommandFailed', `${comm} exited at start${this.logTail(logFile)}`);
      }
      if (Date.now() > deadline)
        throw new WireguardError('HostCommandFailed', `${comm} did not start within ${this.startTimeoutMs} ms`);
      await sleep(POLL_MS);
    }
  }

  /** Until the daemon answers on its socket (it opens it after attaching the TUN device). */
  private async awaitSocket(d: Daemon, logFile: string): Promise<void> {
    const deadline = Date.now() + this.startTimeoutMs;
    for (;;) {
      if (!isSameProcess(d.pid, d.start, this.marker(d)))
        throw new WireguardError('HostCommandFailed', `wireguard-go for ${d.object} exited${this.logTail(logFile)}`);
      try {
        await this.get(d);
        return;
      } catch (e) {
        if (e instanceof UapiError && e.errno !== 0) throw e;
      }
      if (Date.now() > deadline)
        throw new WireguardError('HostCommandFailed', `wireguard-go for ${d.object} did not open its socket in time`);
      await sleep(POLL_MS);
    }
  }

  /** SIGTERM (wireguard-go closes its device and socket cleanly), SIGKILL after 3 s. */
  private async terminate(d: Daemon): Promise<void> {
    const marker = this.marker(d);
    if (!this.signal({ pid: d.pid, start: d.start, marker }, 'SIGTERM')) return;
    const deadline = Date.now() + 3000;
    while (isSameProcess(d.pid, d.start, marker)) {
      if (Date.now() > deadline) {
        this.signal({ pid: d.pid, start: d.start, marker }, 'SIGKILL');
        break;
      }
      await sleep(POLL_MS);
    }
  }

  /** SIGKILL, and wait (at most 3 s) until the process is gone. */
  private async kill(p: ProcInfo): Promise<void> {
    if (!this.signal(p, 'SIGKILL')) return;
    const deadline = Date.now() + 3000;
    // A zombie's environment reads empty: it no longer counts as the same marked process.
    while (Date.now() < deadline && isSameProcess(p.pid, p.start, p.env.NETLOOM_WG ?? '')) await sleep(POLL_MS);
  }

  /** Signals only a process that is still the one we know: same PID, start time and exact marker. */
  private signal(
    p: { pid: number; start: number; marker?: string; env?: Record<string, string> },
    sig: NodeJS.Signals,
  ): boolean {
    const marker = p.marker ?? p.env?.NETLOOM_WG;
    if (marker === undefined || !marker.startsWith(`${this.instance}:`)) return false;
    if (!isSameProcess(p.pid, p.start, marker)) return false;
    try {
      process.kill(p.pid, sig);
      return true;
    } catch {
      return false;
    }
  }

  /** Every process of this instance (daemons and holders), parsed from its marker. */
  private scan(): (Daemon & { role: string })[] {
    const prefix = `${this.instance}:`;
    return findMarked((m) => m.startsWith(prefix)).flatMap((p) => {
      const rest = p.env.NETLOOM_WG!.slice(prefix.length);
      const colon = rest.indexOf(':');
      if (colon < 0) return [];
      const object = rest.slice(colon + 1);
      const ifname = p.env.NETLOOM_WG_IFNAME ?? object.slice(object.indexOf('/') + 1);
      return [
        {
          lab: rest.slice(0, colon),
          object,
          netns: p.env.NETLOOM_WG_NETNS ? p.env.NETLOOM_WG_NETNS : null,
          ifname,
          pid: p.pid,
          start: p.start,
          role: p.env.NETLOOM_WG_ROLE ?? 'daemon',
        },
      ];
    });
  }

  // ─── the device ─────────────────────────────────────────────────────────────────────────────────────

  private ip(t: WireguardTarget, ...argv: string[]): string[] {
    return ['ip', ...(t.netns === null ? [] : ['-n', t.netns]), ...argv];
  }

  /** The TUN device must exist: the engine makes (and marks) it; wireguard-go only attaches to it. */
  private async checkDevice(t: WireguardTarget): Promise<void> {
    const argv = this.ip(t, '-j', '-d', 'link', 'show', 'dev', t.ifname);
    const r = await this.opts.runner.run(argv, { timeoutMs: 10_000 });
    let tun = false;
    try {
      const [l] = JSON.parse(r.stdout) as { linkinfo?: { info_kind?: string; info_data?: { type?: string } } }[];
      tun = l?.linkinfo?.info_kind === 'tun' && l.linkinfo.info_data?.type === 'tun';
    } catch {}
    if (!tun)
      throw new WireguardError(
        'HostCommandFailed',
        `no TUN device ${t.ifname}${t.netns === null ? '' : ` in namespace ${t.netns}`} for wireguard-go to attach to`,
        { argv, stderr: r.stderr },
      );
  }

  private async setMtu(t: WireguardTarget, mtu: number): Promise<void> {
    const argv = this.ip(t, 'link', 'set', 'dev', t.ifname, 'mtu', String(mtu));
    const r = await this.opts.runner.run(argv, { timeoutMs: 10_000 });
    if (r.code !== 0)
      throw new WireguardError('HostCommandFailed', `cannot set the MTU of ${t.ifname}: ${r.stderr.trim()}`, {
        argv,
        stderr: r.stderr,
      });
  }

  // ─── state files ────────────────────────────────────────────────────────────────────────────────────

  private recordPath(t: Pick<WireguardTarget, 'lab' | 'object'>): string {
    return join(this.dir, 'run', safe(t.lab), `${t.object.split('/').map(safe).join('/')}.json`);
  }

  private logPath(t: WireguardTarget): string {
    return this.recordPath(t).replace(/\.json$/, '.log');
  }

  private readRecord(t: WireguardTarget): PidRecord | null {
    try {
      const rec = JSON.parse(readFileSync(this.recordPath(t), 'utf8')) as PidRecord;
      return Number.isSafeInteger(rec.pid) && Number.isSafeInteger(rec.start) ? rec : null;
    } catch {
      return null;
    }
  }

  private writeRecord(d: Daemon): void {
    const file = this.recordPath(d);
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const rec: PidRecord = { ...d, marker: this.marker(d), startedAt: new Date().toISOString() };
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(rec)}\n`, { mode: 0o600 });
    renameSync(tmp, file);
  }

  private removeRecord(t: Pick<WireguardTarget, 'lab' | 'object'>): void {
    rmSync(this.recordPath(t), { force: true });
  }

  /** Removes pidfiles whose daemon is not among `running` markers. */
  private pruneRecords(running: Set<string>): void {
    const root = join(this.dir, 'run');
    for (const lab of readdirNames(root))
      for (const node of readdirNames(join(root, lab)))
        for (const f of readdirNames(join(root, lab, node))) {
          if (!f.endsWith('.json')) continue;
          const object = `${node}/${f.slice(0, -5)}`;
          if (!running.has(this.marker({ lab, object }))) rmSync(join(root, lab, node, f), { force: true });
        }
  }

  private logTail(file: string | undefined): string {
    if (file === undefined) return '';
    try {
      const text = readFileSync(file, 'utf8').trim().split('\n').slice(-3).join(' / ');
      return text ? `: ${text}` : '';
    } catch {
      return '';
    }
  }
}

function readdirNames(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Lab names, node ids and interface names are already path-safe by the schema; refuse anything else. */
function safe(s: string): string {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/.test(s)) throw new Error(`unsafe state path part '${s}'`);
  return s;
}

/** A random id of this state dir, created once: daemons of other state dirs carry another. */
function instanceId(dir: string): string {
  const file = join(dir, 'instance');
  try {
    const id = readFileSync(file, 'utf8').trim();
    if (/^[0-9a-f]{16}$/.test(id)) return id;
  } catch {}
  const id = randomBytes(8).toString('hex');
  try {
    writeFileSync(file, `${id}\n`, { mode: 0o600, flag: 'wx' });
    return id;
  } catch {
    // Another opener of this state dir wrote it first: use theirs.
    return readFileSync(file, 'utf8').trim();
  }
}
