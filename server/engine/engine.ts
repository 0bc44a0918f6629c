/**
 * openEngine: the engine behind the HTTP server and the CLI. apply = validate → observe → plan → journal →
 * execute (journaled wave by wave) → verify, and on any failure a rollback of the journaled steps through
 * their inverses. One writer at a time (promise queue + lock file); crash recovery at open and before every
 * change. Never touches an object without this lab's exact marker (the planner guarantees it; rollback
 * re-checks ownership on a fresh observation before every inverse).
 */
import type { Lab, LabStatus, PlanResult } from '../../shared';
import { validate } from '../../shared/validate';
import { checkAdoption, unmarked } from './adoption';
import { detectCapabilities, detectVersions } from './capabilities';
import { execRefusal, gatedCapabilities } from './capabilityGate';
import type { ApplyOutcome, CommandRunner, Engine, EngineOptions, Progress } from './contract';
import { isManagedQdisc, routeMatches } from './desired';
import { type Driver, type ExecFailure, IpBatchDriver } from './driver';
import { guardDefaultRoute } from './hostGuard';
import { type JournalRecord, StateDir } from './journal';
import { attachedKind } from './kinds';
import { WireguardRuntime } from './kinds/wireguard';
import { acquireLock } from './lock';
import { type AfterExecute, IpObserver, type Observer } from './observer';
import { type PlanOptions, plan as planOps } from './plan';
import { planDestroy, planDestroyNat } from './planDestroy';
import { type PreflightIssue, preflight, readLimits } from './preflight';
import { cmdArgv, opArgvs, planResult, render, shellText } from './render';
import { setterHolds } from './rollbackJudge';
import { status as labStatus } from './status';
import { touchedNamespaces } from './steps';
import type { AnyOpBody, NetnsRef, ObservedLink, ObservedState, Operation } from './types';

/** Thrown by a test hook to emulate a crash: the engine stops at once, leaving journal and host as they are. */
export class SimulatedCrash extends Error {}

export interface EngineHooks {
  /** After wave `k` of an apply has been journaled (throw SimulatedCrash to emulate kill -9 there). */
  afterWave?(k: number, completedOps: number): void | Promise<void>;
}

export interface OpenEngineOptions extends EngineOptions {
  /** Replace the driver (fault injection in tests). */
  driverImpl?: Driver;
  hooks?: EngineHooks;
  /** Skip the capability probe (tests that open many engines). */
  skipProbe?: boolean;
  /**
   * What another engine on the same kernel and tools already probed (classroom mode: every student's sandbox
   * takes the teacher's): used instead of probing again; WireGuard is then detected on first use.
   */
  probed?: { capabilities: Record<string, boolean>; versions: Record<string, string> };
  lockTimeoutMs?: number;
  /** Kill (and fail) a host command running longer than this. */
  commandTimeoutMs?: number;
  /** Verify: how many re-observations before giving up. */
  verifyAttempts?: number;
  /**
   * How the host is read (default: IpObserver, `ip -j -batch`; with the netlink driver the notification-fed
   * CachedObserver, or NetlinkObserver with NETLOOM_OBSERVE_CACHE=0).
   */
  observerImpl?: Observer;
}

type Outcome = ApplyOutcome;
type Err = NonNullable<Outcome['error']>;

/** An operation's outcome: time since `t0`, the commands it ran (when any), its error (when any). */
function outcomeOf(t0: number, commands: string[]): (ran: number, error?: Err) => Outcome {
  return (ran, error) => ({
    ok: !error,
    ran,
    durationMs: performance.now() - t0,
    ...(commands.length > 0 && { commands }),
    ...(error && { error }),
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function openEngine(opts: OpenEngineOptions): Promise<Engine> {
  let o = opts;
  let owned: Driver | undefined;
  if (!opts.driverImpl && (opts.driver === 'netlink' || opts.driver === 'auto')) {
    // Loaded lazily: the addon and its agent only when asked for.
    const { loadNetlinkDriver, netlinkUnavailableReason } = await import('./netlink/driver');
    const { ObservationCache } = await import('./netlink/cache');
    const { CachedObserver, NetlinkObserver } = await import('./netlink/observer');
    const nl = await loadNetlinkDriver(opts.runner);
    if (nl) {
      owned = nl;
      // The observation kept current by kernel notifications (NETLOOM_OBSERVE_CACHE=0: a full read each time).
      const observerImpl =
        opts.observerImpl ??
        (process.env.NETLOOM_OBSERVE_CACHE === '0'
          ? new NetlinkObserver(nl)
          : new CachedObserver(new ObservationCache(nl)));
      o = { ...opts, driverImpl: nl, observerImpl };
    } else if (opts.driver === 'netlink') {
      throw new Error(`the netlink driver is unavailable: ${netlinkUnavailableReason()}`);
    }
  }
  const engine = new NetloomEngine(o, owned);
  try {
    await engine.open();
  } catch (e) {
    await owned?.close?.();
    throw e;
  }
  return engine;
}

class NetloomEngine implements Engine {
  readonly mode;
  private readonly runner: CommandRunner;
  private readonly driver: Driver;
  private readonly observer: Observer;
  private readonly state: StateDir;
  private caps: Record<string, boolean> = {};
  private vers: Record<string, string> = {};
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** WireGuard beyond its kernel device: keys, capability, the configured device / wireguard-go daemons. */
  private readonly wg: WireguardRuntime;

  constructor(
    private readonly opts: OpenEngineOptions,
    /** A driver this engine opened itself (and closes). */
    private readonly ownedDriver?: Driver,
  ) {
    this.runner = opts.runner;
    this.mode = opts.runner.mode;
    this.driver =
      opts.driverImpl ??
      new IpBatchDriver(opts.runner, {
        ...(opts.commandTimeoutMs !== undefined && { commandTimeoutMs: opts.commandTimeoutMs }),
      });
    this.observer = opts.observerImpl ?? new IpObserver(opts.runner);
    this.state = new StateDir(opts.stateDir);
    this.wg = new WireguardRuntime(opts.stateDir, opts.runner);
  }

  async open(): Promise<void> {
    await this.state.init();
    if (this.opts.probed) {
      this.caps = { ...this.opts.probed.capabilities };
      this.vers = { ...this.opts.probed.versions };
    } else if (!this.opts.skipProbe) {
      const [caps, vers, wg] = await Promise.all([
        detectCapabilities(this.runner),
        detectVersions(this.runner),
        this.wg.detect(),
      ]);
      this.caps = { ...caps, wireguard: wg.mode !== null };
      this.vers = vers;
    }
    // Crash recovery at open: an interrupted apply is rolled back now, then WireGuard daemons of labs (or
    // interfaces) not applied are stopped.
    await this.serial(async () => {
      await this.recoverJournal();
      await this.wg.reconcile((name) => this.state.readApplied(name));
    });
  }

  /** What the planner needs to know of the kernel (a feature it lacks is refused at plan time). */
  private planOptions(): PlanOptions {
    return {
      ...Object.fromEntries(gatedCapabilities().map((k) => [k, this.caps[k] === true])),
      ...this.wg.planOptions(),
    };
  }

  capabilities(): Record<string, boolean> {
    return { ...this.caps };
  }
  versions(): Record<string, string> {
    return { ...this.vers };
  }

  async close(): Promise<void> {
    await this.queue.catch(() => {});
    this.closed = true;
    await this.ownedDriver?.close?.();
  }

  /** Which driver runs operations (`ip-batch` or `netlink`). */
  driverName(): string {
    return this.driver.name;
  }

  /** One full observation of the host (`counters`: for a status sample). */
  private read(opts?: { counters?: boolean }): Promise<ObservedState> {
    return this.observer.observe(opts);
  }

  /** In-process queue + cross-process lock file around every change. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = async () => {
      const lock = await acquireLock(this.state.dir, this.opts.lockTimeoutMs);
      try {
        return await fn();
      } finally {
        await lock.release();
      }
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => {});
    return p;
  }

  // ------------------------------------------------------------------------------------------------------

  async plan(lab: Lab): Promise<PlanResult> {
    const v = validate(lab);
    const name = typeof (lab as { name?: unknown })?.name === 'string' ? (lab as { name: string }).name : '';
    if (!v.ok) {
      return {
        lab: name,
        operations: [],
        script: '',
        errors: v.issues
          .filter((i) => i.severity === 'error')
          .map((i) => ({ code: 'InvalidLab', message: i.message, path: i.path.join('.') })),
      };
    }
    await this.wg.ready(v.lab);
    // The observation also names the namespaces already here (the scale check's count): one listing, not two.
    const observing = this.read();
    const [observed, scale] = await Promise.all([observing, this.scale(v.lab, observing)]);
    const p = planOps(v.lab, observed, this.planOptions());
    // Pre-flight (preflight.ts): its errors refuse the plan like the planner's, its warnings ride along.
    const errors = [...p.errors, ...scale.filter((i) => i.severity === 'error')];
    const warnings = [...(p.warnings ?? []), ...scale.filter((i) => i.severity === 'warning')];
    const r = planResult(v.lab.name, errors.length ? [] : p.ops, errors, warnings);
    // The WireGuard configuration is no kernel op: its `wg` lines (key files, never keys) close the script.
    const wgLines = errors.length ? [] : this.wg.scriptLines(v.lab);
    return wgLines.length ? { ...r, script: `${r.script.replace(/\n?$/, '\n')}${wgLines.join('\n')}\n` } : r;
  }

  /** Pre-flight scale check of `lab` against this machine's limits (read afresh each time, or from `observed`). */
  private async scale(lab: Lab, observed?: Promise<ObservedState>): Promise<PreflightIssue[]> {
    const names = observed?.then((o) => Object.keys(o.namespaces));
    return preflight(lab, await readLimits(this.runner, names), { netlinkDriver: this.driver.name === 'netlink' });
  }

  async status(lab: Lab, revisions: { observed: number; applied: number | null }): Promise<LabStatus> {
    const st = labStatus(lab, await this.read({ counters: true }), revisions, new Date().toISOString());
    return this.wireguardStatus(lab, st, revisions.applied !== null);
  }

  /**
   * WireGuard interfaces in a status sample: the daemon's / device's state from UAPI, and a condition when
   * it is not running. A daemon of an applied lab that died is restarted in the background (the next sample
   * shows it back).
   */
  private async wireguardStatus(lab: Lab, st: LabStatus, applied: boolean): Promise<LabStatus> {
    await this.wg.ready(lab);
    const { byObject, dead } = await this.wg.observe(lab);
    if (!byObject.size) return st;
    const objects = { ...st.objects };
    for (const [id, w] of byObject) {
      const o = objects[id];
      if (!o) continue;
      const down = !w.running && o.state !== 'absent';
      objects[id] = {
        ...o,
        wireguard: w,
        ...(down && {
          state: o.state === 'ready' ? 'drifted' : o.state,
          conditions: [
            ...o.conditions,
            {
              type: 'Drifted',
              status: true,
              reason: 'WireguardDown',
              message:
                w.mode === 'userspace'
                  ? `wireguard-go for '${id.slice(id.indexOf('/') + 1)}' is not running${applied ? '; Netloom restarts it' : '; apply to start it'}`
                  : `WireGuard device '${id.slice(id.indexOf('/') + 1)}' is not configured; re-apply to repair`,
            },
          ],
        }),
      };
    }
    if (applied && dead.some((id) => objects[id]?.state !== 'absent') && this.wg.beginRestart(lab.name)) {
      void this.serial(async () => {
        const rec = await this.state.readApplied(lab.name);
        if (rec) await this.wg.realize(rec);
      })
        .catch(() => {})
        .finally(() => this.wg.endRestart(lab.name));
    }
    return { ...st, objects };
  }

  observe(): Promise<ObservedState> {
    return this.read();
  }

  appliedLab(labName: string): Promise<Lab | null> {
    return this.state.readApplied(labName);
  }

  async forgetLab(labName: string): Promise<void> {
    if (await this.state.readApplied(labName))
      throw new Error(`lab '${labName}' is applied on the host: destroy it before forgetting it`);
    this.wg.keys.forget(labName);
  }

  apply(lab: Lab, onProgress?: (p: Progress) => void): Promise<Outcome> {
    const t0 = performance.now();
    const commands: string[] = [];
    const done = outcomeOf(t0, commands);
    const v = validate(lab);
    if (!v.ok) {
      const first = v.issues.find((i) => i.severity === 'error');
      return Promise.resolve(
        done(0, {
          code: 'InvalidLab',
          message: first ? `${first.path.join('.')}: ${first.message}` : 'invalid lab',
          rolledBack: false,
        }),
      );
    }
    const desired = v.lab;
    return this.serial(async () => {
      const blocked = await this.preflight();
      if (blocked) return done(0, blocked);
      onProgress?.({ phase: 'observe', step: 0, total: 0 });
      await this.wg.ready(desired);
      const observed = await this.read();
      onProgress?.({ phase: 'plan', step: 0, total: 0 });
      const p = planOps(desired, observed, this.planOptions());
      if (p.errors.length) {
        const e = p.errors[0]!;
        return done(0, {
          code: e.code,
          message: p.errors.map((x) => x.message).join('; '),
          ...(e.object !== undefined && { object: e.object }),
          rolledBack: false,
        });
      }
      const unsupported = this.unsupported(p.ops) ?? guarded(p.ops, observed);
      if (unsupported) return done(0, unsupported);
      const limit = (await this.scale(desired)).find((i) => i.severity === 'error');
      if (limit)
        return done(0, {
          code: 'Unsupported',
          message: limit.message,
          ...(limit.object !== undefined && { object: limit.object }),
          rolledBack: false,
        });
      // Daemons of WireGuard interfaces this design dropped go before their devices do.
      await this.wg.prepare(desired);
      if (p.ops.length === 0) {
        const wgErr = await this.wg.realize(desired);
        if (wgErr) return done(0, { code: 'HostCommandFailed', ...wgErr, rolledBack: false });
        await this.state.writeApplied(desired);
        onProgress?.({ phase: 'done', step: 0, total: 0 });
        return done(0);
      }
      const ran = await this.run('apply', desired.name, p.ops, onProgress, observed, commands);
      if (ran.error) {
        const failure = ran;
        const rb = await this.rollbackAndReport(failure.record, onProgress);
        await this.wg.reconcile((name) => this.state.readApplied(name));
        return done(p.ops.length, { ...failure.error, ...rb } as Err);
      }
      // WireGuard: configure the devices the ops made (wireguard-go started on its TUN, keys over UAPI).
      const wgErr = await this.wg.realize(desired);
      if (wgErr) {
        const record = (await this.state.readJournal()) as { state: 'ok'; record: JournalRecord };
        const rb = await this.rollbackAndReport(record.record, onProgress);
        await this.wg.reconcile((name) => this.state.readApplied(name));
        return done(p.ops.length, { code: 'HostCommandFailed', ...wgErr, ...rb } as Err);
      }
      // Verify: the host must now plan nothing (bounded retries: the kernel settles asynchronously).
      onProgress?.({ phase: 'verify', step: p.ops.length, total: p.ops.length });
      // The observer reads again what the plan touched. The first read reuses what the driver read back.
      let readBack = ran.observed;
      const left = await this.verify(() => {
        const o = this.observer.reobserve({ ops: p.ops, base: observed, ...(readBack && { readBack }) });
        readBack = undefined;
        return o.then((x) => planOps(desired, x, this.planOptions()).ops);
      });
      if (left.length) {
        const record = (await this.state.readJournal()) as { state: 'ok'; record: JournalRecord };
        const rb = await this.rollbackAndReport(record.record, onProgress);
        await this.wg.reconcile((name) => this.state.readApplied(name));
        return done(p.ops.length, {
          code: 'VerificationFailed',
          message: `after applying, the host still differs from the design: ${left
            .slice(0, 3)
            .map((o) => o.reason)
            .join('; ')}`,
          object: left[0]!.object,
          argv: opArgvs(left[0]!)[0] ?? [],
          ...rb,
        } as Err);
      }
      await this.state.writeApplied(desired);
      await this.state.clearJournal();
      onProgress?.({ phase: 'done', step: p.ops.length, total: p.ops.length });
      return done(p.ops.length);
    });
  }

  destroy(labName: string, onProgress?: (p: Progress) => void): Promise<Outcome> {
    const t0 = performance.now();
    const commands: string[] = [];
    return this.serial(async () => {
      const done = outcomeOf(t0, commands);
      const blocked = await this.preflight();
      if (blocked) return done(0, blocked);
      // wireguard-go daemons first: their TUN devices are then plain owned links.
      await this.wg.stopLab(labName);
      let ran = 0;
      let prev: { base: ObservedState; ops: Operation[] } | null = null;
      // A destroy converges: delete what is owned, re-observe (netns deletion is asynchronous), repeat.
      // Re-observations read only what the deletions touched; the first one reads everything.
      for (let attempt = 0; attempt < 5; attempt++) {
        onProgress?.({ phase: 'observe', step: 0, total: 0 });
        const observed: ObservedState =
          prev && attempt < 4 ? await this.observer.reobserve(prev) : await this.observer.observe();
        const core = planDestroy(labName, observed);
        const p = { ...core, ops: [...core.ops, ...planDestroyNat(labName, observed)] as Operation[] };
        prev = { base: observed, ops: p.ops };
        if (p.ops.length === 0) {
          await this.state.clearApplied(labName);
          await this.state.clearJournal();
          onProgress?.({ phase: 'done', step: ran, total: ran });
          return done(ran);
        }
        const refused = guarded(p.ops, observed);
        if (refused) return done(ran, refused);
        const failure = await this.run('destroy', labName, p.ops, onProgress, observed, commands);
        ran += p.ops.length;
        if (failure.error) {
          await this.state.clearJournal();
          return done(ran, { ...failure.error, rolledBack: false });
        }
        await sleep(20 * attempt);
      }
      return done(ran, {
        code: 'VerificationFailed',
        message: `objects of lab '${labName}' are still on the host after deleting them`,
        rolledBack: false,
      });
    });
  }

  adopt(lab: Lab, ops: readonly Operation[], onProgress?: (p: Progress) => void): Promise<Outcome> {
    const t0 = performance.now();
    const commands: string[] = [];
    const done = outcomeOf(t0, commands);
    const v = validate(lab);
    if (!v.ok) {
      const first = v.issues.find((i) => i.severity === 'error');
      const message = first ? `${first.path.join('.')}: ${first.message}` : 'invalid lab';
      return Promise.resolve(done(0, { code: 'InvalidLab', message, rolledBack: false }));
    }
    return this.serial(async () => {
      const blocked = await this.preflight();
      if (blocked) return done(0, blocked);
      if (ops.length === 0) return done(0);
      onProgress?.({ phase: 'observe', step: 0, total: 0 });
      const observed = await this.read();
      const refused = checkAdoption(v.lab, ops, observed);
      if (refused) return done(0, { ...refused, rolledBack: false });
      const all = [...ops];
      const ran = await this.run('apply', v.lab.name, all, onProgress, observed, commands);
      if (ran.error)
        return done(all.length, { ...ran.error, ...(await this.rollbackAndReport(ran.record, onProgress)) } as Err);
      onProgress?.({ phase: 'verify', step: all.length, total: all.length });
      let missing: Operation | null = null;
      await this.verify(async () => {
        missing = unmarked(all, await this.read());
        return missing ? [missing] : [];
      });
      if (missing) {
        const record = (await this.state.readJournal()) as { state: 'ok'; record: JournalRecord };
        const rb = await this.rollbackAndReport(record.record, onProgress);
        const m = missing as Operation;
        return done(all.length, {
          code: 'VerificationFailed',
          message: `after adopting, '${'ifname' in m ? m.ifname : m.object}' does not carry its marker`,
          object: m.object,
          ...rb,
        } as Err);
      }
      await this.state.clearJournal();
      onProgress?.({ phase: 'done', step: all.length, total: all.length });
      return done(all.length);
    });
  }

  recover(): Promise<Outcome> {
    const t0 = performance.now();
    return this.serial(async () => {
      const flag = await this.state.readFlag();
      const r = await this.recoverJournal(true);
      if (r) return { ok: false, ran: 0, durationMs: performance.now() - t0, error: r };
      if (flag) await this.state.clearFlag();
      return { ok: true, ran: 0, durationMs: performance.now() - t0 };
    });
  }

  // ------------------------------------------------------------------------------------------------------

  /** Before any change: a pending failed rollback blocks; an interrupted apply is rolled back first. */
  private async preflight(): Promise<Err | null> {
    if (this.closed) return { code: 'RecoveryRequired', message: 'the engine is closed', rolledBack: false };
    const flag = await this.state.readFlag();
    if (flag) {
      return {
        code: 'RecoveryRequired',
        message: `a rollback failed earlier (${flag.message}); run recover before applying again`,
        rolledBack: false,
      };
    }
    return this.recoverJournal();
  }

  /** Rolls back (apply) or finishes (destroy) whatever the journal says was interrupted. */
  private async recoverJournal(force = false): Promise<Err | null> {
    const j = await this.state.readJournal();
    if (j.state === 'empty') return null;
    if (j.state === 'unreadable') {
      // Never act on a journal we cannot read: keep it for a person, change nothing.
      await this.state.quarantineJournal();
      return null;
    }
    const rec = j.record;
    if (rec.kind === 'destroy') {
      // A destroy is idempotent: finishing it is just running it again (done by the caller's retry); the
      // record only says it was interrupted.
      await this.state.clearJournal();
      return null;
    }
    const rb = await this.rollback(rec);
    if (!rb.ok) {
      const message = `rollback of lab '${rec.lab}' failed: ${shellText(rb.argv)}: ${rb.stderr}`;
      await this.state.setFlag({ at: new Date().toISOString(), message, lab: rec.lab });
      return { code: 'RollbackFailed', message, argv: rb.argv, stderr: rb.stderr, rolledBack: false };
    }
    await this.state.clearJournal();
    if (force) await this.state.clearFlag();
    return null;
  }

  /** The capability gate on the planned operations, once the probe ran. */
  private unsupported(ops: readonly Operation[]): Err | null {
    if (this.opts.skipProbe || !Object.keys(this.caps).length) return null;
    const r = execRefusal(ops, this.caps);
    return r && { code: 'Unsupported', message: r.message, object: r.object, rolledBack: false };
  }

  /**
   * Journals and executes; returns null on success, else the failure (journal left for rollback). The shell
   * text of every command a wave starts is appended to `commands`, wave by wave (what "Show the commands" lists).
   */
  private async run(
    kind: 'apply' | 'destroy',
    lab: string,
    ops: Operation[],
    onProgress?: (p: Progress) => void,
    observed?: ObservedState,
    commands?: string[],
  ): Promise<{ error: Err; record: JournalRecord } | { error: null; observed: AfterExecute['readBack'] }> {
    // Journaled before each wave's side effects (the first write creates the record). Recovery undoes
    // completed ∪ attempted, so a wave's end needs no write of its own: the next wave's start (or the
    // journal's removal after verify) records it.
    const record: JournalRecord = { kind, lab, startedAt: new Date().toISOString(), ops, completed: [], attempted: [] };
    let completed = 0;
    const listed = new Set<number>();
    await this.observer.beforeExecute?.(ops.length);
    const res = await this.driver.execute(ops, {
      ...(observed && {
        peersOf: (netns: string) =>
          observed.namespaces[netns]?.links.flatMap((l) =>
            l.peer && l.peer.netns !== netns ? [{ netns: l.peer.netns, ifindex: l.peer.ifindex }] : [],
          ),
        ifindexOf: (netns: NetnsRef, ifname: string) => findLink(observed, netns, ifname)?.ifindex,
      }),
      onWaveStart: async (idx, _w, _n, first) => {
        record.attempted = [...new Set([...record.attempted, ...idx])];
        await this.state.writeJournal(record);
        // An operation may span waves (a driver pipelines its parts): its commands are listed once, at its start.
        if (commands)
          for (const i of [...idx].sort((a, b) => a - b))
            if (!listed.has(i)) {
              listed.add(i);
              commands.push(...opArgvs(ops[i]!).map(shellText));
            }
        const op = ops[idx[0]!]!;
        onProgress?.({
          phase: 'execute',
          step: completed,
          total: ops.length,
          command: shellText(first.length ? first : (opArgvs(op)[0] ?? [])),
          object: op.object,
        });
      },
      onWaveDone: async (idx, w) => {
        record.completed = [...record.completed, ...idx];
        completed = record.completed.length;
        onProgress?.({ phase: 'execute', step: completed, total: ops.length });
        if (kind === 'apply') await this.opts.hooks?.afterWave?.(w, completed);
      },
    });
    if (res.ok) return { error: null, observed: res.observed };
    const f: ExecFailure = res.failure;
    const op = ops[f.op];
    return {
      record,
      error: {
        code: 'HostCommandFailed',
        message: `${shellText(f.argv)} failed (exit ${f.code})${f.stderr ? `: ${f.stderr.split('\n')[0]}` : ''}`,
        argv: f.argv,
        ...(op && { object: op.object }),
        stderr: f.stderr,
        rolledBack: false,
      },
    };
  }

  private async rollbackAndReport(record: JournalRecord, onProgress?: (p: Progress) => void): Promise<Partial<Err>> {
    onProgress?.({ phase: 'rollback', step: 0, total: record.completed.length });
    const rb = await this.rollback(record);
    if (rb.ok) {
      await this.state.clearJournal();
      return { rolledBack: true };
    }
    const message = `rollback failed at ${shellText(rb.argv)}: ${rb.stderr}`;
    await this.state.setFlag({ at: new Date().toISOString(), message, lab: record.lab });
    return { code: 'RollbackFailed', message, rolledBack: false, stderr: rb.stderr, argv: rb.argv };
  }

  /**
   * Undo every operation that completed or may have partly run, newest first, each only if its effect is
   * present on a fresh observation and the object is ours (already-undone steps are skipped).
   */
  private async rollback(record: JournalRecord): Promise<{ ok: true } | { ok: false; argv: string[]; stderr: string }> {
    const touched = [...new Set([...record.completed, ...record.attempted])].sort((a, b) => b - a);
    let lastErr = { argv: [] as string[], stderr: '' };
    for (let attempt = 0; attempt < 3; attempt++) {
      const observed = await this.read();
      const inverses = rollbackOps(record.lab, touched.map((i) => record.ops[i]!).filter(Boolean), observed);
      if (inverses.length === 0) return { ok: true };
      const refused = guardDefaultRoute(inverses, observed);
      if (refused) return { ok: false, argv: opArgvs(inverses[refused.index]!)[0] ?? [], stderr: refused.message };
      const res = await this.driver.execute(inverses);
      if (res.ok) {
        // Re-check on the next loop round (async netns deletion, peers).
        continue;
      }
      lastErr = { argv: res.failure.argv, stderr: res.failure.stderr };
      await sleep(50 * (attempt + 1));
    }
    const observed = await this.read();
    const left = rollbackOps(record.lab, touched.map((i) => record.ops[i]!).filter(Boolean), observed);
    if (left.length === 0) return { ok: true };
    return {
      ok: false,
      stderr: lastErr.stderr,
      argv: lastErr.argv.length ? lastErr.argv : (opArgvs(left[0]!)[0] ?? []),
    };
  }

  private async verify(remaining: () => Promise<Operation[]>): Promise<Operation[]> {
    const attempts = this.opts.verifyAttempts ?? 5;
    let left: Operation[] = [];
    for (let i = 0; i < attempts; i++) {
      left = await remaining();
      if (left.length === 0) return left;
      await sleep(25 * 2 ** i);
    }
    return left;
  }
}

// ----------------------------------------------------------------------------------------------------------

/** The host guard (hostGuard.ts) as an engine error: nothing of the batch runs. */
function guarded(ops: readonly Operation[], observed: ObservedState): Err | null {
  const g = guardDefaultRoute(ops, observed);
  return g ? { code: 'Conflict', message: g.message, object: ops[g.index]!.object, rolledBack: false } : null;
}

const findLink = (obs: ObservedState, netns: NetnsRef, ifname: string): ObservedLink | undefined =>
  (netns === null ? obs.root : obs.namespaces[netns])?.links.find((l) => l.ifname === ifname);

/**
 * The inverses still needed to undo `ops` (newest first), judged on `observed`. Only objects carrying this
 * lab's marker are deleted — with one exception: a namespace our journal says we were creating that is still
 * empty and unmarked (the crash fell between `netns add` and marking its `lo`).
 */
export function rollbackOps(lab: string, opsNewestFirst: readonly Operation[], observed: ObservedState): AnyOpBody[] {
  const out: AnyOpBody[] = [];
  const nsDeleted = new Set<string>();
  const owned = (l: ObservedLink | undefined, marker: string) =>
    l !== undefined &&
    l.marker !== null &&
    `netloom:${l.marker.lab}:${l.marker.object}` === marker &&
    l.marker.lab === lab;
  // Namespaces that will be deleted take everything inside (and their veths' peers) with them.
  for (const op of opsNewestFirst) {
    if (op.kind !== 'netns.create') continue;
    const ns = observed.namespaces[op.netns];
    if (!ns) continue;
    const marked = ns.marker !== null && `netloom:${ns.marker.lab}:${ns.marker.object}` === op.marker;
    // Unmarked (the crash or failure fell before its `lo` was marked): ours only if it holds nothing but
    // interfaces this same journal was creating there (a veth end created from the other side in parallel).
    const createdHere = new Set<string>();
    for (const o of opsNewestFirst) {
      if (o.kind === 'veth.create') for (const e of [o.a, o.b]) if (e.netns === op.netns) createdHere.add(e.ifname);
      if ((o.kind === 'bridge.create' || o.kind === 'iface.create') && o.netns === op.netns) createdHere.add(o.ifname);
    }
    const unmarkedOurs =
      ns.marker === null &&
      !ns.links.find((l) => l.ifname === 'lo')?.alias &&
      ns.links.every(
        (l) => l.ifname === 'lo' || (createdHere.has(l.ifname) && (l.marker === null || l.marker.lab === lab)),
      );
    if (marked || unmarkedOurs) nsDeleted.add(op.netns);
  }
  const inDeleted = (n: NetnsRef) => n !== null && nsDeleted.has(n);
  const gone = new Set<string>();
  const k = (n: NetnsRef, i: string) => `${n ?? ''}/${i}`;
  // Links this rollback deletes (created by the ops): setters on them need no undoing.
  const willDelete = new Set<string>();
  for (const op of opsNewestFirst) {
    if (op.kind === 'bridge.create' || op.kind === 'iface.create') willDelete.add(k(op.netns, op.ifname));
    if (op.kind === 'veth.create') for (const e of [op.a, op.b]) willDelete.add(k(e.netns, e.ifname));
  }
  // Renames this rollback undoes, walking back in time: which observed link answers to a name now.
  const renamed = new Map<string, ObservedLink | undefined>();
  // Setter inverses, judged once the whole walk is known (see the default case below).
  const setters = new Map<ObservedLink, Map<string, number>>();
  const judged = new Map<number, () => boolean>();
  const renamedNow = new Set<ObservedLink>();
  const linkAt = (n: NetnsRef, i: string) => (renamed.has(k(n, i)) ? renamed.get(k(n, i)) : findLink(observed, n, i));
  const exists = (n: NetnsRef, i: string) =>
    !inDeleted(n) && !gone.has(k(n, i)) && !willDelete.has(k(n, i)) && linkAt(n, i) !== undefined;

  for (const op of opsNewestFirst) {
    const inv = op.inverse;
    switch (op.kind) {
      case 'netns.create':
        if (nsDeleted.has(op.netns)) out.push({ kind: 'netns.delete', netns: op.netns });
        continue;
      case 'iface.create':
      case 'bridge.create': {
        // A device created from the root on a parent there is deleted even in a namespace about to go: its
        // parent (outside) is released at once, not when the kernel gets round to tearing the namespace down.
        if (inDeleted(op.netns) && !(op.kind === 'iface.create' && attachedKind(op.spec.kind)?.fromRoot)) continue;
        const l = findLink(observed, op.netns, op.ifname);
        if (owned(l, op.marker) && !gone.has(k(op.netns, op.ifname))) {
          out.push({ kind: 'link.delete', netns: op.netns, ifname: op.ifname });
          gone.add(k(op.netns, op.ifname));
        }
        continue;
      }
      case 'veth.create': {
        if (inDeleted(op.a.netns) || inDeleted(op.b.netns)) continue;
        for (const e of [op.a, op.b]) {
          const l = findLink(observed, e.netns, e.ifname);
          if (owned(l, e.marker) && !gone.has(k(e.netns, e.ifname))) {
            out.push({ kind: 'link.delete', netns: e.netns, ifname: e.ifname });
            gone.add(k(e.netns, e.ifname));
            if (l?.peer) gone.add(k(l.peer.netns, l.peer.ifname));
            break;
          }
        }
        continue;
      }
      default:
        break;
    }
    if (!inv) continue;
    // Everything else changes an existing object: undo it only where the object still exists.
    switch (inv.kind) {
      case 'netns.create':
        if (!observed.namespaces[inv.netns]) out.push(inv);
        break;
      case 'netns.setForwarding':
        if (inv.netns === null || (observed.namespaces[inv.netns] && !inDeleted(inv.netns))) {
          const ns = inv.netns === null ? observed.root : observed.namespaces[inv.netns]!;
          if ((ns.forwarding ?? false) !== inv.on) out.push(inv);
        }
        break;
      case 'addr.del': {
        const l = exists(inv.netns, inv.ifname) ? linkAt(inv.netns, inv.ifname) : undefined;
        if (l?.addresses.includes(inv.cidr)) out.push(inv);
        break;
      }
      case 'addr.add': {
        const l = exists(inv.netns, inv.ifname) ? linkAt(inv.netns, inv.ifname) : undefined;
        if (l && !l.addresses.includes(inv.cidr)) out.push(inv);
        break;
      }
      case 'route.del':
      case 'route.add': {
        if (inDeleted(inv.netns)) break;
        const ns = inv.netns === null ? observed.root : observed.namespaces[inv.netns];
        if (!ns) break;
        const present = ns.routes.filter((r) => routeMatches(inv.route, r));
        // A route the plan deleted and this rollback restores (its inverse is a route.add) is the original:
        // never delete it again because the plan's own, looser route matches it too.
        const original = (r: (typeof present)[number]) =>
          opsNewestFirst.some(
            (o) => o.inverse?.kind === 'route.add' && o.inverse.netns === inv.netns && routeMatches(o.inverse.route, r),
          );
        if (inv.kind === 'route.add' ? present.length === 0 : present.some((r) => !original(r))) out.push(inv);
        break;
      }
      case 'link.rename': {
        // Names alone cannot tell a swap from its undoing: the link must be the one this op renamed.
        const l = exists(inv.netns, inv.from) ? linkAt(inv.netns, inv.from) : undefined;
        const other = l?.marker?.lab === lab && l.marker.object !== op.object;
        if (l && !other && !exists(inv.netns, inv.to)) {
          out.push(inv);
          renamedNow.add(l);
          renamed.set(k(inv.netns, inv.to), l);
          renamed.set(k(inv.netns, inv.from), undefined);
        }
        break;
      }
      case 'link.delete':
        // Inverse of something other than a create (none today): only owned links.
        break;
      case 'nat.delete':
        if (observed.nft?.some((t) => t.name === inv.table && t.marker?.lab === lab)) out.push(inv);
        break;
      case 'nat.apply': {
        const t = observed.nft?.find((x) => x.name === inv.table);
        const same = t !== undefined && [...t.sources].sort().join() === [...inv.sources].sort().join();
        if (inv.replace ? t?.marker?.lab === lab && !same : t === undefined) out.push(inv);
        break;
      }
      case 'sysctl.set': {
        if (inv.netns !== null && (!observed.namespaces[inv.netns] || inDeleted(inv.netns))) break;
        const ns = inv.netns === null ? observed.root : observed.namespaces[inv.netns]!;
        const now =
          inv.key === 'net.ipv4.ip_forward'
            ? ns.ipv4Forward === undefined
              ? undefined
              : ns.ipv4Forward
                ? '1'
                : '0'
            : ns.sysctls?.[inv.key];
        if (now !== inv.value) out.push(inv);
        break;
      }
      case 'bridge.vlanDel': {
        // Not idempotent: only where the port still has that VLAN (or its VLANs were not read).
        const l = exists(inv.netns, inv.ifname) ? linkAt(inv.netns, inv.ifname) : undefined;
        // VLANs are read only on ports of a filtering bridge: unread on another port means nothing to undo.
        const filtering = l?.master !== undefined && linkAt(inv.netns, l.master)?.vlanFiltering === true;
        if (l && (l.vlans === undefined ? filtering : l.vlans.some((e) => e.vid === inv.vid))) out.push(inv);
        break;
      }
      case 'qdisc.delete': {
        // Not idempotent: only where one of our qdiscs is still installed.
        const l = exists(inv.netns, inv.ifname) ? linkAt(inv.netns, inv.ifname) : undefined;
        if (isManagedQdisc(l?.qdisc)) out.push(inv);
        break;
      }
      case 'netns.delete':
        break;
      default:
        // Idempotent setters (up/down, mtu, mac, master, stp, alias): apply where the link exists and does not
        // hold the value yet.
        if ('ifname' in inv && exists(inv.netns, inv.ifname)) {
          const l = linkAt(inv.netns, inv.ifname);
          const master = l?.master !== undefined ? linkAt(inv.netns, l.master) : undefined;
          // Only the net effect counts: the oldest op's inverse on this link and setting (seen last, walking
          // back) decides, judged against what the link holds now.
          if (l) {
            const key = `${inv.kind}${inv.kind === 'bridge.vlanAdd' ? `/${inv.vid}` : ''}`;
            const byKey = setters.get(l) ?? new Map<string, number>();
            setters.set(l, byKey);
            byKey.set(key, out.length);
            out.push(inv);
            // A link renamed in this pass is set down around the rename: its up/down steps all run.
            judged.set(out.length - 1, () =>
              inv.kind === 'link.setUp' && renamedNow.has(l)
                ? true
                : byKey.get(key) === out.indexOf(inv) && !setterHolds(inv, l, master),
            );
          } else out.push(inv);
        }
        break;
    }
  }
  return out.filter((_, i) => judged.get(i)?.() ?? true);
}

export { cmdArgv, render, touchedNamespaces };
