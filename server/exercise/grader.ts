/**
 * The grader of ONE student world (an engine + its runner + its lab store): `check()` judges every goal of an
 * exercise once (the CLI); `watch(lab, listener)` grades a stored lab live — every tick one engine observation
 * (with netlink: the notification-fed cache, so a kernel change is seen within a tick), the state checks
 * judged on it, the probes (ping, traceroute, capture, connect, status) re-run only when the observation (or
 * the design) changed or their re-check period passed — and reports whenever a verdict or reason changes.
 * No module state: classroom mode makes one grader per student world. Never changes the host.
 */
import {
  type ExerciseView,
  type Goal,
  type GoalResult,
  type GradeReport,
  goalObjects,
  type Lab,
  PROBE_KINDS,
  tally,
} from '../../shared';
import type { CommandRunner, Engine } from '../engine/contract';
import type { ObservedState } from '../engine/types';
import type { Logger } from '../log';
import type { LabStore } from '../store/labStore';
import { type ProbeContext, runProbe } from './probes';
import { fingerprint, judgeState, type Verdict } from './state';

export interface GraderWorld {
  engine: Pick<Engine, 'observe' | 'status'> & Partial<Pick<Engine, 'driverName'>>;
  runner: CommandRunner;
  /** The student's labs (live grading reads the design and its exercise binding from here). */
  store?: Pick<LabStore, 'getShared'>;
  /**
   * True while an operation on `lab` is changing the host (an apply, a reset): probes wait for its end (the
   * service pokes the grader then), so a host in mid-change does not start a round of pings per tick.
   */
  busy?: (lab: string) => boolean;
  log: Logger;
}

export interface GraderOptions {
  /**
   * Live grading period: one observation per watched lab per tick (ms). Default 250 with the netlink driver
   * (a quiet observation is one request to its notification-fed cache), 500 otherwise (one `ip` process per
   * namespace each time).
   */
  intervalMs?: number;
  /** A probe whose inputs did not change is still re-run this often (services, nft rules are not observed). */
  recheckMs?: number;
  /**
   * Probes in flight at once per watched lab, on the current observation (probes still running on an older
   * one do not hold a place: their results will not count; at most as many again may still be finishing).
   */
  maxProbes?: number;
}

export type ReportListener = (report: GradeReport | null) => void;

const DEFAULTS: Omit<Required<GraderOptions>, 'intervalMs'> = { recheckMs: 5000, maxProbes: 6 };

interface GoalState {
  verdict: Verdict | null;
  at: string;
  /** Generation of the newest probe started, and of the newest whose verdict was taken. */
  gen: number;
  settledGen: number;
  inFlight: number;
  /** What the newest probe was started on, and when. */
  startedOn: string | null;
  startedAt: number;
}

/** Judges every goal once, the probes concurrently (at most `maxProbes` at a time). */
async function judgeAll(
  goals: readonly Goal[],
  observed: ObservedState,
  ctx: ProbeContext,
  maxProbes: number,
): Promise<Verdict[]> {
  const out: Verdict[] = new Array(goals.length);
  const probes: number[] = [];
  goals.forEach((g, i) => {
    if (PROBE_KINDS.has(g.check.kind)) probes.push(i);
    else out[i] = judgeState(g.check, observed);
  });
  let next = 0;
  const worker = async () => {
    while (next < probes.length) {
      const i = probes[next++]!;
      out[i] = await runProbe(goals[i]!.check, ctx);
    }
  };
  await Promise.all(Array.from({ length: Math.min(maxProbes, probes.length) }, worker));
  return out;
}

function report(
  lab: string,
  ex: Pick<ExerciseView, 'title' | 'goals'>,
  design: Lab,
  verdicts: readonly (Verdict | null)[],
  ats: readonly string[],
): GradeReport {
  const goals: GoalResult[] = ex.goals.map((g, i) => ({
    id: g.id,
    title: g.title,
    points: g.points,
    met: verdicts[i]?.met ?? null,
    reason: verdicts[i]?.reason ?? 'checking…',
    objects: goalObjects(g.check, design),
    at: ats[i]!,
  }));
  return { lab, title: ex.title, at: new Date().toISOString(), ...tally(goals), goals };
}

/** Same verdicts, reasons and badges (times aside): nothing worth telling a watcher. */
function sameReport(a: GradeReport | null, b: GradeReport | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.goals.length !== b.goals.length || a.title !== b.title) return false;
  return a.goals.every((g, i) => {
    const h = b.goals[i]!;
    return (
      g.id === h.id &&
      g.met === h.met &&
      g.reason === h.reason &&
      g.points === h.points &&
      g.objects.join() === h.objects.join()
    );
  });
}

export class Grader {
  private readonly o: Required<GraderOptions>;
  private readonly sessions = new Map<string, Session>();
  private closed = false;
  /** Tail of the chain of ICMP-error probes (see ProbeContext.oneAtATime): one at a time in this world. */
  private icmpChain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly world: GraderWorld,
    opts: GraderOptions = {},
  ) {
    const intervalMs = world.engine.driverName?.() === 'netlink' ? 250 : 500;
    this.o = { intervalMs, ...DEFAULTS, ...opts };
  }

  /**
   * Judges every goal of `exercise` against the host now. `design` is the student's lab (for `agree` and the
   * badges; default: the starting lab).
   */
  async check(exercise: ExerciseView, design: Lab = exercise.lab): Promise<GradeReport> {
    const observed = await this.world.engine.observe();
    const verdicts = await judgeAll(exercise.goals, observed, this.probeContext(observed, design), this.o.maxProbes);
    const now = new Date().toISOString();
    return report(
      design.name,
      exercise,
      design,
      verdicts,
      verdicts.map(() => now),
    );
  }

  /**
   * Live grading of the stored lab `lab` (as long as it belongs to an exercise): `listener` gets the report
   * at once when one is known, then every time a verdict, reason or badge changes, and null when the lab
   * stops belonging to an exercise. Returns the unsubscribe function; the last one stops the lab's timer.
   */
  watch(lab: string, listener: ReportListener): () => void {
    if (!this.world.store) throw new Error('live grading needs the lab store');
    let s = this.sessions.get(lab);
    if (!s) {
      s = new Session(lab, this.world, this.o, (ctxObs, design) => this.probeContext(ctxObs, design));
      this.sessions.set(lab, s);
    }
    const session = s;
    session.add(listener);
    return () => {
      if (session.remove(listener) === 0 && this.sessions.get(lab) === session) {
        session.close();
        this.sessions.delete(lab);
      }
    };
  }

  /** The latest report of a watched lab (null: not watched, not an exercise, or not judged yet). */
  latest(lab: string): GradeReport | null {
    return this.sessions.get(lab)?.current ?? null;
  }

  /** Re-judge a watched lab now (e.g. right after an apply), probes included. */
  poke(lab: string): void {
    this.sessions.get(lab)?.poke();
  }

  /** Labs being graded live, and how many watchers each has (for a dashboard and for tests). */
  watched(): Record<string, number> {
    return Object.fromEntries([...this.sessions].map(([k, s]) => [k, s.listeners.size]));
  }

  close(): void {
    this.closed = true;
    for (const s of this.sessions.values()) s.close();
    this.sessions.clear();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private probeContext(observed: ObservedState, design: Lab): ProbeContext {
    const engine = this.world.engine;
    return {
      runner: this.world.runner,
      observed,
      lab: design,
      status: (lab) => engine.status(lab, { observed: 0, applied: null }),
      oneAtATime: (fn) => {
        const p = this.icmpChain.then(fn, fn);
        this.icmpChain = p.catch(() => undefined);
        return p;
      },
    };
  }
}

/** Live grading of one stored lab. */
class Session {
  readonly listeners = new Set<ReportListener>();
  current: GradeReport | null = null;
  /** Which exercise start the goal states belong to (`file@startedAt`; the doc object changes on every write). */
  private bindingKey: string | null = null;
  private states: GoalState[] = [];
  private timer: NodeJS.Timeout | null = null;
  private ticking = false;
  private again = false;
  private forceProbes = false;
  private closed = false;
  /** What the latest tick saw (probes started between ticks use it). */
  private last: {
    key: string;
    ex: ExerciseView;
    design: Lab;
    revision: number;
    observed: ObservedState;
    fp: string;
  } | null = null;
  private lastError: string | null = null;

  constructor(
    readonly lab: string,
    private readonly world: GraderWorld,
    private readonly o: Required<GraderOptions>,
    private readonly context: (observed: ObservedState, design: Lab) => ProbeContext,
  ) {}

  add(l: ReportListener): void {
    this.listeners.add(l);
    if (this.current) l(this.current);
    if (!this.timer) {
      this.timer = setInterval(() => void this.tick(), this.o.intervalMs);
      this.timer.unref();
      void this.tick();
    }
  }

  remove(l: ReportListener): number {
    this.listeners.delete(l);
    return this.listeners.size;
  }

  poke(): void {
    this.forceProbes = true;
    void this.tick();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.listeners.clear();
  }

  private emit(r: GradeReport | null): void {
    for (const l of [...this.listeners]) {
      try {
        l(r);
      } catch (err) {
        this.world.log.warn({ err: String(err), lab: this.lab }, 'grade listener failed');
      }
    }
  }

  /** Builds the report from the goal states; tells the listeners when it changed. */
  private publish(ex: ExerciseView, design: Lab): void {
    const r = report(
      this.lab,
      ex,
      design,
      this.states.map((s) => s.verdict),
      this.states.map((s) => s.at),
    );
    const changed = !sameReport(this.current, r);
    this.current = r;
    if (changed) this.emit(r);
  }

  private async tick(): Promise<void> {
    if (this.closed) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = true;
    try {
      do {
        this.again = false;
        await this.judge();
      } while (this.again && !this.closed);
      this.lastError = null;
    } catch (err) {
      const message = String(err);
      if (message !== this.lastError) this.world.log.warn({ lab: this.lab, err: message }, 'grading failed');
      this.lastError = message;
    } finally {
      this.ticking = false;
    }
  }

  private async judge(): Promise<void> {
    const doc = await this.world.store!.getShared(this.lab);
    const binding = doc?.exercise ?? null;
    const key = binding ? `${binding.file}@${binding.startedAt}` : null;
    if (key !== this.bindingKey) {
      // A new exercise (or a restart): every goal starts over.
      this.bindingKey = key;
      const now = new Date().toISOString();
      this.states = (binding?.exercise.goals ?? []).map(() => ({
        verdict: null,
        at: now,
        gen: 0,
        settledGen: 0,
        inFlight: 0,
        startedOn: null,
        startedAt: 0,
      }));
      if (!binding && this.current !== null) {
        this.current = null;
        this.emit(null);
      }
    }
    if (!binding || !doc || key === null || this.closed) return;
    const observed = await this.world.engine.observe();
    if (this.closed || this.bindingKey !== key) return;
    const ex = binding.exercise;
    this.last = { key, ex, design: doc.lab, revision: doc.revision, observed, fp: fingerprint(observed) };
    ex.goals.forEach((g, i) => {
      const st = this.states[i]!;
      if (!PROBE_KINDS.has(g.check.kind) && !(g.latch && st.verdict?.met))
        this.settle(st, judgeState(g.check, observed));
    });
    this.startProbes(this.forceProbes);
    this.forceProbes = false;
    this.publish(ex, doc.lab);
  }

  /**
   * Starts the probes that are due on the latest observation: its inputs changed since the goal's last
   * probe, or the re-check period passed. Called every tick and whenever a probe ends (a probe that waited
   * for a place need not wait for the next tick).
   */
  private startProbes(force = false): void {
    const last = this.last;
    if (!last || this.closed || last.key !== this.bindingKey) return;
    if (this.world.busy?.(this.lab)) return;
    const { ex, design, observed, fp, key } = last;
    const now = Date.now();
    const inputOf = (kind: string) => (kind === 'agree' ? `${last.revision}:${fp}` : fp);
    // Places are held by probes started on what the host is now; older ones only count towards a hard cap.
    let current = 0;
    let all = 0;
    ex.goals.forEach((g, i) => {
      const st = this.states[i]!;
      all += st.inFlight;
      if (st.inFlight && st.startedOn === inputOf(g.check.kind)) current++;
    });
    ex.goals.forEach((g, i) => {
      const st = this.states[i]!;
      if (!PROBE_KINDS.has(g.check.kind) || (g.latch && st.verdict?.met)) return;
      const on = inputOf(g.check.kind);
      const due = force || on !== st.startedOn || now - st.startedAt >= this.o.recheckMs;
      // A changed input starts a new probe even while an older one runs, so a fix shows as soon as a probe
      // on the fixed host answers; two per goal at most.
      if (!due || st.inFlight >= 2 || current >= this.o.maxProbes || all >= 2 * this.o.maxProbes) return;
      if (st.inFlight > 0 && on === st.startedOn && !force) return;
      const gen = ++st.gen;
      st.inFlight++;
      current++;
      all++;
      st.startedOn = on;
      st.startedAt = now;
      void runProbe(g.check, this.context(observed, design)).then((v) => {
        st.inFlight--;
        if (this.closed || this.bindingKey !== key) return;
        // A newer probe's verdict wins; an older one still counts until a newer one has answered (a host
        // that keeps changing must not starve a goal of any verdict).
        if (gen > st.settledGen && !(g.latch && st.verdict?.met)) {
          st.settledGen = gen;
          this.settle(st, v);
          this.publish(ex, this.last?.design ?? design);
        }
        this.startProbes();
      });
    });
  }

  private settle(st: GoalState, v: Verdict): void {
    if (st.verdict && st.verdict.met === v.met && st.verdict.reason === v.reason) return;
    st.verdict = v;
    st.at = new Date().toISOString();
  }
}
