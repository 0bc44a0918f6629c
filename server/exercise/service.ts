/**
 * Exercises over HTTP and the status socket, for ONE student world (engine + runner + store + queue):
 * `GET /api/exercises` (the catalogue), `POST /api/exercises/:file/start` (the lab bound to its exercise,
 * applied with its setup through the operation queue), `GET /api/labs/:name/exercise` (exercise without
 * solution + latest report), `POST /api/labs/:name/exercise/reset` and `…/check`, and a hub channel pushing
 * `{type:'exercise'}` reports to every socket watching an exercise lab. Classroom mode builds one per student.
 */
import express, { type Router } from 'express';
import {
  type ExerciseBinding,
  type ExerciseStarted,
  type ExerciseSummary,
  emptyLayout,
  type LabExercise,
  LabName,
  toView,
} from '../../shared';
import type { CommandRunner, Engine } from '../engine/contract';
import { AppError } from '../errors';
import type { Logger } from '../log';
import type { OperationQueue } from '../ops/queue';
import type { LabChannel } from '../status/hub';
import type { LabStore, StoredLab } from '../store/labStore';
import { startExercise } from './commands';
import type { CatalogueEntry } from './files';
import { Grader, type GraderOptions } from './grader';

export interface ExerciseDeps {
  engine: Engine;
  store: LabStore;
  ops: OperationQueue;
  log: Logger;
  catalogue: CatalogueEntry[];
  /** Runner of the student's world; without it nothing can be graded (the routes answer Unsupported). */
  runner?: CommandRunner;
  grader?: GraderOptions;
}

export class ExerciseService {
  /** This world's grader (null without a runner): the teacher dashboard subscribes to it with watch(). */
  readonly grader: Grader | null;
  private readonly stopOps: () => void;

  constructor(private readonly deps: ExerciseDeps) {
    this.grader = deps.runner
      ? new Grader({ engine: deps.engine, runner: deps.runner, store: deps.store, log: deps.log }, deps.grader)
      : null;
    // The host just changed under a lab: judge it now rather than at the next tick.
    this.stopOps = deps.ops.onEvent((e) => {
      if (e.type === 'result') this.grader?.poke(e.result.lab);
    });
  }

  private entry(file: string): CatalogueEntry {
    const e = this.deps.catalogue.find((x) => x.file === file);
    if (!e) throw new AppError('NotFound', `no exercise "${file}"`);
    return e;
  }

  private needGrader(): Grader {
    if (!this.grader) throw new AppError('Unsupported', 'exercises are not available in this server');
    return this.grader;
  }

  private async bound(name: string): Promise<StoredLab & { exercise: ExerciseBinding }> {
    if (!LabName.safeParse(name).success) throw new AppError('InvalidRequest', 'invalid lab name');
    const doc = await this.deps.store.require(name);
    if (!doc.exercise) throw new AppError('NotFound', `lab "${name}" does not belong to an exercise`);
    return doc as StoredLab & { exercise: ExerciseBinding };
  }

  /** Queues the stored design + the exercise's setup on the host; the lab is marked applied when it worked. */
  private bringUp(doc: StoredLab & { exercise: ExerciseBinding }): string {
    const { engine, runner, store } = this.deps;
    return this.deps.ops.start(
      doc.lab.name,
      'apply',
      (onProgress) => startExercise(engine, runner!, doc.exercise.exercise, onProgress, doc.lab),
      async (outcome) => {
        if (outcome.ok) await store.setApplied(doc.lab.name, doc.revision);
      },
    );
  }

  /** The exercise's starting lab as a new binding: a fresh start for every goal. */
  private binding(e: CatalogueEntry): ExerciseBinding {
    return { file: e.file, exercise: toView(e.exercise), startedAt: new Date().toISOString() };
  }

  /**
   * Starts exercise `file` in this world (the route, and classroom mode's push): a lab already doing it is
   * handed back as the student left it (brought up again when it is not on the host); a new one is created
   * from the starting lab and applied with the setup.
   */
  async start(file: string): Promise<ExerciseStarted> {
    this.needGrader();
    const e = this.entry(file);
    const name = e.exercise.lab.name;
    const existing = await this.deps.store.get(name);
    if (existing?.exercise?.file === e.file) {
      // Not on the host (a new sandbox, or destroyed): the student's design comes back up, with the setup.
      const operationId =
        existing.appliedRevision === null && !this.deps.ops.busy(name)
          ? this.bringUp(existing as StoredLab & { exercise: ExerciseBinding })
          : null;
      return { lab: name, revision: existing.revision, operationId };
    }
    if (existing)
      throw new AppError('Conflict', `a lab named "${name}" already exists and is not this exercise; delete it first`);
    if (this.deps.ops.busy(name)) throw new AppError('Conflict', `an operation on lab "${name}" is still running`);
    const doc = await this.deps.store.create(e.exercise.lab, e.exercise.layout ?? emptyLayout(), this.binding(e));
    return {
      lab: name,
      revision: doc.revision,
      operationId: this.bringUp(doc as StoredLab & { exercise: ExerciseBinding }),
    };
  }

  /** Reset: the design goes back to the starting lab (locks do not apply to that write) and is applied again. */
  async reset(labName: string): Promise<ExerciseStarted> {
    this.needGrader();
    const doc = await this.bound(labName);
    const e = this.deps.catalogue.find((x) => x.file === doc.exercise.file);
    const binding: ExerciseBinding = e ? this.binding(e) : { ...doc.exercise, startedAt: new Date().toISOString() };
    if (this.deps.ops.busy(doc.lab.name))
      throw new AppError('Conflict', `an operation on lab "${doc.lab.name}" is still running`);
    const next = await this.deps.store.update(doc.lab.name, {
      lab: binding.exercise.lab,
      layout: binding.exercise.layout ?? doc.layout,
      baseRevision: doc.revision,
      exercise: binding,
    });
    return {
      lab: next.lab.name,
      revision: next.revision,
      operationId: this.bringUp(next as StoredLab & { exercise: ExerciseBinding }),
    };
  }

  router(): Router {
    const r = express.Router();

    r.get('/exercises', (_req, res) => {
      const exercises: ExerciseSummary[] = this.deps.catalogue.map(({ file, exercise: x }) => ({
        file,
        lab: x.lab.name,
        title: x.title,
        summary: x.summary ?? '',
        goals: x.goals.length,
        points: x.goals.reduce((n, g) => n + g.points, 0),
      }));
      res.json({ exercises });
    });

    // Start = open: a lab already doing this exercise is handed back as the student left it (reset is explicit).
    r.post('/exercises/:file/start', async (req, res) => {
      const body = await this.start(String(req.params.file));
      res.status(body.operationId ? 202 : 200).json(body);
    });

    r.get('/labs/:name/exercise', async (req, res) => {
      const doc = await this.bound(String(req.params.name));
      const body: LabExercise = {
        file: doc.exercise.file,
        exercise: doc.exercise.exercise,
        report: this.grader?.latest(doc.lab.name) ?? null,
      };
      res.json(body);
    });

    r.post('/labs/:name/exercise/check', async (req, res) => {
      const grader = this.needGrader();
      const doc = await this.bound(String(req.params.name));
      res.json(await grader.check(doc.exercise.exercise, doc.lab));
    });

    // Reset: the design goes back to the starting lab (locks do not apply to that write) and is applied again.
    r.post('/labs/:name/exercise/reset', async (req, res) => {
      res.status(202).json(await this.reset(String(req.params.name)));
    });
    return r;
  }

  /** For the status hub: every socket watching an exercise lab also gets its live reports. */
  channel(): LabChannel {
    return {
      watch: (lab, send) => {
        if (!this.grader) return () => {};
        return this.grader.watch(lab, (report) => send({ type: 'exercise', lab, report }));
      },
    };
  }

  close(): void {
    this.stopOps();
    this.grader?.close();
  }
}
