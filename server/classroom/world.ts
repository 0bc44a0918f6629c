/**
 * One student's world: a private sandbox (network + mount + PID namespace, `holder.ts`'s light holder), its
 * own engine, lab store (with the namespace quota), operation queue, status hub, live tools and exercise
 * service — a whole `createApp` whose token is the student's. Requests of that student are handed to it, so
 * every route is scoped to the student by construction: another student's labs are not in this store, and
 * their objects are not in this kernel. Created lazily on the student's first request.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type App, createApp } from '../app';
import type { CommandRunner, Engine, Sandbox, ToolIdentity } from '../engine/contract';
import type { OpenEngineOptions } from '../engine/engine';
import type { Spawner } from '../engine/runner';
import type { CatalogueEntry } from '../exercise/files';
import type { GraderOptions } from '../exercise/grader';
import type { Logger } from '../log';
import type { Example } from '../store/labFiles';
import { LabStore } from '../store/labStore';
import { guardStore, type Quotas, SocketQuota } from './quota';
import type { RosterStudent } from './roster';

export type EngineDriver = 'auto' | 'netlink' | 'ip-batch';

export interface OpenedWorld {
  engine: Engine;
  sandbox: Sandbox | null;
  runner?: CommandRunner;
  /** How long the sandbox and the engine took to open (ms; the world's log line). */
  timings?: Record<string, number>;
}

export interface WorldOptions {
  /** Root of the classroom's state: each student gets `<dir>/<id>/` (labs + engine state), fresh per run. */
  dir: string;
  log: Logger;
  listen: string;
  extraPorts?: number[];
  staticDir?: string | null;
  examples: Example[];
  exercises: CatalogueEntry[];
  statusIntervalMs?: number;
  grader?: GraderOptions;
  quotas: Quotas;
  driver: EngineDriver;
  /** The teacher's engine's probe (same kernel, same tools): no world probes the kernel again. */
  probed?: OpenEngineOptions['probed'];
  version?: string;
  /** Starts the worlds' commands (serve.ts: one spawn relay for the class; default: spawned by the server). */
  spawner?: Spawner;
  /** Test seam: how a world's engine is opened (default: a new PID-namespaced sandbox + openEngine). */
  openWorld?: (engineDir: string) => Promise<OpenedWorld>;
}

export interface StudentWorld {
  student: RosterStudent;
  app: App;
  store: LabStore;
  engine: Engine;
  sandbox: Sandbox | null;
  terminals: SocketQuota;
  captures: SocketQuota;
  close(): Promise<void>;
}

async function openSandboxWorld(
  engineDir: string,
  driver: EngineDriver,
  probed: OpenEngineOptions['probed'],
  spawner?: Spawner,
  tools?: ToolIdentity,
): Promise<OpenedWorld> {
  const { createWorldSandbox } = await import('./holder');
  const { openEngine } = await import('../engine/engine');
  const t0 = performance.now();
  const sandbox = await createWorldSandbox({ ...(spawner && { spawner }), ...(tools && { tools }) });
  const t1 = performance.now();
  try {
    const engine = await openEngine({ stateDir: engineDir, runner: sandbox.runner, driver, ...(probed && { probed }) });
    const t2 = performance.now();
    return { engine, sandbox, runner: sandbox.runner, timings: { sandboxMs: t1 - t0, engineMs: t2 - t1 } };
  } catch (e) {
    await sandbox.close();
    throw e;
  }
}

/** First uid of the students' tools (`0x6e6c0000`, "nl"): far above login users and the usual subuid ranges. */
export const STUDENT_UID_BASE = 0x6e6c0000;

/** Student number `n` (1-based, roster order): their tools' own uid, limited to the process quota. */
export const studentTools = (n: number, quotas: Pick<Quotas, 'processes'>): ToolIdentity => ({
  uid: STUDENT_UID_BASE + n,
  maxProcesses: quotas.processes,
});

export async function openStudentWorld(
  student: RosterStudent,
  o: WorldOptions,
  defaultLab?: string,
  tools?: ToolIdentity,
): Promise<StudentWorld> {
  const log = o.log.child({ student: student.id });
  const base = join(o.dir, student.id);
  const engineDir = join(base, 'engine');
  await rm(base, { recursive: true, force: true });
  await mkdir(engineDir, { recursive: true, mode: 0o700 });
  const store = guardStore(await LabStore.open(join(base, 'labs'), log), o.quotas);
  const t0 = performance.now();
  const { engine, sandbox, runner, timings } = await (
    o.openWorld ?? ((d) => openSandboxWorld(d, o.driver, o.probed, o.spawner, tools))
  )(engineDir);
  const app = createApp({
    engine,
    store,
    log,
    token: student.token,
    mode: 'sandbox',
    listen: o.listen,
    ...(o.extraPorts ? { extraPorts: o.extraPorts } : {}),
    ...(o.staticDir !== undefined ? { staticDir: o.staticDir } : {}),
    examples: o.examples,
    exercises: o.exercises,
    ...(defaultLab ? { defaultLab } : {}),
    ...(o.statusIntervalMs ? { statusIntervalMs: o.statusIntervalMs } : {}),
    ...(o.grader ? { grader: o.grader } : {}),
    ...(o.version ? { version: o.version } : {}),
    ...(runner ? { runner } : {}),
  });
  const ms = (x: number) => Math.round(x);
  log.info(
    {
      sandbox: sandbox?.pid ?? null,
      driver: engine.driverName(),
      ...Object.fromEntries(Object.entries(timings ?? {}).map(([k, v]) => [k, ms(v)])),
      openMs: ms(performance.now() - t0),
    },
    'student world open',
  );
  let closing: Promise<void> | null = null;
  return {
    student,
    app,
    store,
    engine,
    sandbox,
    terminals: new SocketQuota('terminals', o.quotas.terminals),
    captures: new SocketQuota('captures', o.quotas.captures),
    close() {
      closing ??= (async () => {
        await app.close();
        await Promise.race([app.ops.idle(), new Promise((r) => setTimeout(r, 10_000).unref())]);
        await engine.close().catch((err: unknown) => log.error({ err }, 'engine close failed'));
        await sandbox?.close().catch((err: unknown) => log.error({ err }, 'sandbox close failed'));
      })();
      return closing;
    },
  };
}
