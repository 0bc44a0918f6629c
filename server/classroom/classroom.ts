/**
 * The classroom: the roster and its principals, one lazily opened world per student, the exercise pushed to
 * everyone, and the teacher's dashboard — each student's live grade report, taken from THEIR world's
 * grader (`Grader.watch`: one watch per student, shared with the student's own checklist), pushed to the
 * dashboard's listeners on change (coalesced: at most one dashboard per 200 ms). No polling anywhere.
 */
import type { ClassroomDashboard, ClassroomStudent, GradeReport } from '../../shared';
import { AppError } from '../errors';
import type { CatalogueEntry } from '../exercise/files';
import type { Logger } from '../log';
import { type Principal, PrincipalRegistry } from './principal';
import type { Quotas } from './quota';
import type { RosterStudent } from './roster';
import { openStudentWorld, type StudentWorld, studentTools, type WorldOptions } from './world';

export interface ClassroomOptions {
  students: RosterStudent[];
  teacherToken: string;
  world: WorldOptions;
  catalogue: CatalogueEntry[];
  log: Logger;
  /** Coalescing window of dashboard pushes (ms). */
  pushEveryMs?: number;
}

interface Progress {
  lab: string | null;
  startedAt: string | null;
  report: GradeReport | null;
  error: string | null;
  stopWatch: (() => void) | null;
}

/** Worlds made at once (see `opening`). */
const OPEN_AT_ONCE = 4;

export type DashboardListener = (d: ClassroomDashboard) => void;

export class Classroom {
  readonly registry = new PrincipalRegistry();
  readonly teacher: Principal = { id: 'teacher', role: 'teacher', label: 'Teacher' };
  private readonly byId = new Map<string, RosterStudent>();
  private readonly worlds = new Map<string, Promise<StudentWorld>>();
  private readonly opened = new Map<string, StudentWorld>();
  private readonly progress = new Map<string, Progress>();
  private readonly listeners = new Set<DashboardListener>();
  private exercise: CatalogueEntry | null = null;
  private pushTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private openSlots = OPEN_AT_ONCE;
  private readonly openQueue: (() => void)[] = [];
  /** Where links point (set once the server listens). */
  baseUrl = 'http://127.0.0.1';

  constructor(private readonly o: ClassroomOptions) {
    this.registry.registerToken(o.teacherToken, this.teacher);
    for (const s of o.students) {
      this.byId.set(s.id, s);
      this.progress.set(s.id, { lab: null, startedAt: null, report: null, error: null, stopWatch: null });
      this.registry.registerToken(s.token, { id: s.id, role: 'student', label: s.label });
    }
  }

  get students(): readonly RosterStudent[] {
    return this.o.students;
  }

  get quotas(): Quotas {
    return this.o.world.quotas;
  }

  student(id: string): RosterStudent | undefined {
    return this.byId.get(id);
  }

  linkOf(s: RosterStudent): string {
    return `${this.baseUrl}/?token=${encodeURIComponent(s.token)}`;
  }

  /** An open world (null: not joined yet). */
  openedWorld(id: string): StudentWorld | null {
    return this.opened.get(id) ?? null;
  }

  /** The student's world, opened on first use (their sandbox is made then), the pushed exercise started in it. */
  world(id: string): Promise<StudentWorld> {
    if (this.closed) return Promise.reject(new AppError('Conflict', 'the classroom is closing'));
    const student = this.byId.get(id);
    if (!student) return Promise.reject(new AppError('NotFound', `no student "${id}"`));
    let w = this.worlds.get(id);
    if (!w) {
      const ex = this.exercise;
      const asked = performance.now();
      let began = asked;
      w = this.opening(() => {
        began = performance.now();
        const n = this.o.students.indexOf(student) + 1;
        return openStudentWorld(student, this.o.world, ex?.exercise.lab.name, studentTools(n, this.o.world.quotas));
      }).then(
        async (world) => {
          this.opened.set(id, world);
          this.changed();
          this.o.log.info(
            { student: id, queuedMs: Math.round(began - asked), readyMs: Math.round(performance.now() - asked) },
            'student world ready',
          );
          if (ex) await this.startIn(world, ex, asked);
          return world;
        },
        (e: unknown) => {
          this.worlds.delete(id);
          this.o.log.error({ err: e, student: id }, 'student world failed to open');
          throw new AppError('Bug', `your sandbox could not be created: ${e instanceof Error ? e.message : String(e)}`);
        },
      );
      this.worlds.set(id, w);
    }
    return w;
  }

  /**
   * At most OPEN_AT_ONCE worlds are being made at a time: 30 sandbox holders, agents and first applies
   * started together on two cores are slower in total than a few at a time (and holders time out).
   */
  private opening<T>(make: () => Promise<T>): Promise<T> {
    const run = async () => {
      this.openSlots--;
      try {
        return await make();
      } finally {
        this.openSlots++;
        this.openQueue.shift()?.();
      }
    };
    if (this.openSlots > 0) return run();
    return new Promise<void>((ok) => this.openQueue.push(ok)).then(run);
  }

  /** Pushes exercise `file` to every student: started now in the open worlds, on joining in the others. */
  async push(file: string): Promise<void> {
    const entry = this.o.catalogue.find((e) => e.file === file);
    if (!entry)
      throw new AppError('NotFound', `no exercise "${file}"`, [
        { path: ['file'], message: 'not in the catalogue', severity: 'error', code: 'NotFound' },
      ]);
    this.exercise = entry;
    for (const p of this.progress.values()) {
      p.stopWatch?.();
      Object.assign(p, { lab: null, startedAt: null, report: null, error: null, stopWatch: null });
    }
    this.changed();
    await Promise.all([...this.opened.values()].map((w) => this.startIn(w, entry)));
  }

  /** Starts `entry` in `world` and watches its grading for the dashboard. Failures are shown, not thrown. */
  private async startIn(world: StudentWorld, entry: CatalogueEntry, asked = performance.now()): Promise<void> {
    const p = this.progress.get(world.student.id)!;
    let settled = false;
    p.stopWatch?.();
    p.stopWatch = null;
    try {
      const started = await world.app.exercises.start(entry.file);
      if (this.exercise !== entry) return; // pushed another meanwhile
      p.lab = started.lab;
      p.error = null;
      const doc = await world.store.getShared(started.lab);
      p.startedAt = doc?.exercise?.startedAt ?? null;
      const grader = world.app.exercises.grader;
      if (grader)
        p.stopWatch = grader.watch(started.lab, (report) => {
          p.report = report;
          if (!settled && report && report.goals.every((g) => g.met !== null)) {
            settled = true;
            this.o.log.info(
              {
                student: world.student.id,
                met: report.goals.filter((g) => g.met).length,
                ms: Math.round(performance.now() - asked),
              },
              'exercise graded',
            );
          }
          // A reset starts a new attempt: its start time is the binding's.
          void world.store.getShared(started.lab).then((d) => {
            p.startedAt = d?.exercise?.startedAt ?? p.startedAt;
            this.changed();
          });
        });
    } catch (e) {
      p.error = e instanceof Error ? e.message : String(e);
      this.o.log.warn({ student: world.student.id, err: p.error }, 'exercise not started');
    }
    this.changed();
  }

  dashboard(): ClassroomDashboard {
    const students: ClassroomStudent[] = this.o.students.map((s) => {
      const p = this.progress.get(s.id)!;
      return {
        id: s.id,
        label: s.label,
        link: this.linkOf(s),
        joined: this.opened.has(s.id),
        lab: p.lab,
        startedAt: p.startedAt,
        report: p.report,
        error: p.error,
      };
    });
    return {
      exercise: this.exercise ? { file: this.exercise.file, title: this.exercise.exercise.title } : null,
      students,
      quotas: { ...this.o.world.quotas },
      at: new Date().toISOString(),
    };
  }

  /** Calls `listener` with the dashboard now and after every change; returns the unsubscribe function. */
  onDashboard(listener: DashboardListener): () => void {
    this.listeners.add(listener);
    listener(this.dashboard());
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    if (this.pushTimer || this.closed || this.listeners.size === 0) return;
    this.pushTimer = setTimeout(() => {
      this.pushTimer = null;
      if (this.closed) return;
      const d = this.dashboard();
      for (const l of this.listeners) l(d);
    }, this.o.pushEveryMs ?? 200);
    this.pushTimer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.pushTimer) clearTimeout(this.pushTimer);
    for (const p of this.progress.values()) p.stopWatch?.();
    const worlds = await Promise.allSettled([...this.worlds.values()]);
    await Promise.all(worlds.map((w) => (w.status === 'fulfilled' ? w.value.close() : undefined)));
  }
}
