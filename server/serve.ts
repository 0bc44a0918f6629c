/**
 * `netloom serve`: parses options, opens the lab store and the engine (in a private sandbox unless in host
 * mode), starts the HTTP + WebSocket server and prints the URL to open (with its token, like Jupyter).
 * Owns the process lifecycle: SIGINT/SIGTERM close the server, then the engine, then the sandbox.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_PORT, formatPath, type Mode } from '../shared';
import { NETLOOM_HOST } from './api/security';
import { createApp, packageVersion } from './app';
import { Classroom } from './classroom/classroom';
import { DEFAULT_QUOTAS, type Quotas } from './classroom/quota';
import { MAX_STUDENTS, makeRoster, numberedNames, parseRoster } from './classroom/roster';
import { type ClassroomServer, createClassroomServer } from './classroom/server';
import type { CommandRunner, Engine, Sandbox } from './engine/contract';
import { acquireLock, type HeldLock, LockBusyError } from './engine/lock';
import { SpawnRelay } from './engine/relay';
import { sandboxHolderProblem } from './engine/sandboxAttach';
import { AppError } from './errors';
import { EXERCISES_DIR, loadCatalogue } from './exercise/files';
import { createLogger, type Logger } from './log';
import { REPO_ROOT } from './paths';
import { type CheckedLab, loadExamples, readLabFile } from './store/labFiles';
import { LabStore } from './store/labStore';

const USAGE = `Usage: netloom serve [options]
  --port N              port (env PORT; default ${DEFAULT_PORT})
  --listen ADDR         address to listen on (default 127.0.0.1)
  --sandbox | --host    where labs are realized: a private sandbox namespace, or the host itself (root only).
                        Default: host when root, sandbox otherwise
  --attach-sandbox PID  use the existing sandbox held by process PID (env NETLOOM_SANDBOX_PID) instead of a new
                        one; engine state persists across restarts, so crash recovery works (tests, scripts)
  --driver D            how operations reach the kernel: auto (default: netlink when its native addon is
                        built, else ip-batch), netlink, or ip-batch (env NETLOOM_DRIVER)
  --token T             access token (env NETLOOM_TOKEN; default: a fresh random one)
  --state-dir DIR       labs and engine state (env NETLOOM_STATE_DIR; default /var/lib/netloom as root,
                        else $XDG_STATE_HOME/netloom or ~/.local/state/netloom)
  --fresh               delete the stored labs first (tests)
  --lab FILE            import this lab file (JSON or YAML) and open it
  --dev                 do not serve the canvas (vite serves it on port 5173)
  --status-interval MS  live status sampling period (default 1000)
  --log-level LEVEL     trace|debug|info|warn|error (env NETLOOM_LOG_LEVEL; default info)
  --exercises DIR       the exercise catalogue (default examples/exercises)
  --classroom           classroom mode (the teacher's token opens the dashboard at /?view=classroom): every
                        student joins with a personal link and gets their own sandbox (network, mount, PID)
  --students N          classroom of N students ("Student 1" …; default 1 when no --roster)
  --roster FILE         classroom roster: one student name per line (# comments)
  --quota-namespaces N  per student: namespaces in their labs (default ${DEFAULT_QUOTAS.namespaces})
  --quota-terminals N   per student: terminals open at once (default ${DEFAULT_QUOTAS.terminals})
  --quota-captures N    per student: captures open at once (default ${DEFAULT_QUOTAS.captures})
  --quota-processes N   per student: processes of all their terminals, captures and commands at once
                        (default ${DEFAULT_QUOTAS.processes}; each student's tools run as a uid of their own)`;

const VITE_PORT = 5173;
const DEFAULT_EXAMPLE = 'veth-pair.yaml';

export interface ServeOptions {
  port: number;
  listen: string;
  mode: Mode;
  token: string;
  tokenGenerated: boolean;
  stateDir: string;
  fresh: boolean;
  lab?: string;
  dev: boolean;
  statusIntervalMs: number;
  logLevel: string;
  /** Holder PID of an existing sandbox to attach to (never closed by us). */
  attachPid?: number;
  driver: EngineDriver;
  /** Exercise catalogue directory. */
  exercisesDir: string;
  /** Classroom mode: the students (names in order) and their quotas. */
  classroom?: { names: string[]; quotas: Quotas };
}

type EngineDriver = 'auto' | 'netlink' | 'ip-batch';
const DRIVERS: readonly EngineDriver[] = ['auto', 'netlink', 'ip-batch'];

class UsageError extends Error {}

const SERVE_OPTIONS = {
  port: { type: 'string' },
  listen: { type: 'string' },
  sandbox: { type: 'boolean' },
  'attach-sandbox': { type: 'string' },
  driver: { type: 'string' },
  host: { type: 'boolean' },
  token: { type: 'string' },
  'state-dir': { type: 'string' },
  fresh: { type: 'boolean' },
  lab: { type: 'string' },
  dev: { type: 'boolean' },
  'status-interval': { type: 'string' },
  'log-level': { type: 'string' },
  exercises: { type: 'string' },
  classroom: { type: 'boolean' },
  students: { type: 'string' },
  roster: { type: 'string' },
  'quota-namespaces': { type: 'string' },
  'quota-terminals': { type: 'string' },
  'quota-captures': { type: 'string' },
  'quota-processes': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const isRoot = (): boolean => process.getuid?.() === 0;

export function parseServeArgs(args: string[], env: NodeJS.ProcessEnv = process.env): ServeOptions {
  const parsed = (() => {
    try {
      return parseArgs({ args, strict: true, allowPositionals: false, options: SERVE_OPTIONS });
    } catch (e) {
      throw new UsageError(e instanceof Error ? e.message : String(e));
    }
  })();
  const values = parsed.values;
  if (values.help) throw new UsageError('');

  const portText = values.port ?? env.PORT ?? String(DEFAULT_PORT);
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port > 65535) throw new UsageError(`invalid port "${portText}"`);

  if (values.sandbox && values.host) throw new UsageError('choose one of --sandbox and --host');
  const attachText = values['attach-sandbox'] ?? env.NETLOOM_SANDBOX_PID;
  const attachPid = attachText === undefined ? undefined : Number(attachText);
  if (attachPid !== undefined) {
    if (!/^\d{1,9}$/.test(attachText ?? '') || attachPid < 2)
      throw new UsageError(`invalid sandbox pid "${attachText}"`);
    if (values.host) throw new UsageError('--attach-sandbox and --host exclude each other');
    // Before anything is touched: a plain process in the host network is no sandbox (issue #13 item 8).
    const problem = sandboxHolderProblem(attachPid);
    if (problem) throw new UsageError(`--attach-sandbox ${attachPid}: ${problem}; refusing to attach`);
  }
  const root = isRoot();
  const mode: Mode =
    values.sandbox || values.classroom || attachPid !== undefined
      ? 'sandbox'
      : values.host
        ? 'host'
        : root
          ? 'host'
          : 'sandbox';
  if (mode === 'host' && !root) throw new UsageError('--host needs root (run with sudo, or use --sandbox)');

  const given = values.token ?? env.NETLOOM_TOKEN;
  if (given !== undefined && !/^[\x21-\x7e]{8,256}$/.test(given))
    throw new UsageError('the token must be 8–256 printable characters without spaces');
  const token = given ?? randomBytes(32).toString('hex');

  const xdg = env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local/state');
  const stateDir = resolve(
    values['state-dir'] ?? env.NETLOOM_STATE_DIR ?? (root ? '/var/lib/netloom' : join(xdg, 'netloom')),
  );

  const driverText = values.driver ?? env.NETLOOM_DRIVER ?? 'auto';
  if (!DRIVERS.includes(driverText as EngineDriver))
    throw new UsageError(`--driver must be one of ${DRIVERS.join(', ')} (got "${driverText}")`);
  const driver = driverText as EngineDriver;

  const intervalText = values['status-interval'] ?? '1000';
  const statusIntervalMs = Number(intervalText);
  if (!Number.isInteger(statusIntervalMs) || statusIntervalMs < 50 || statusIntervalMs > 60_000)
    throw new UsageError('--status-interval must be 50–60000 ms');

  let classroom: ServeOptions['classroom'];
  const classroomOnly = [
    'students',
    'roster',
    'quota-namespaces',
    'quota-terminals',
    'quota-captures',
    'quota-processes',
  ] as const;
  if (!values.classroom) {
    const stray = classroomOnly.find((k) => values[k] !== undefined);
    if (stray) throw new UsageError(`--${stray} needs --classroom`);
  } else {
    if (values.host) throw new UsageError('--classroom runs every world in a sandbox: drop --host');
    if (values.students !== undefined && values.roster !== undefined)
      throw new UsageError('choose one of --students and --roster');
    const count = (flag: string, text: string | undefined, dflt: number, max: number): number => {
      if (text === undefined) return dflt;
      const n = Number(text);
      if (!/^\d{1,4}$/.test(text) || n < 1 || n > max)
        throw new UsageError(`--${flag} must be 1–${max} (got "${text}")`);
      return n;
    };
    let names: string[];
    try {
      names =
        values.roster !== undefined
          ? parseRoster(readFileSync(resolve(values.roster), 'utf8'))
          : numberedNames(count('students', values.students, 1, MAX_STUDENTS));
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      throw new UsageError(values.roster !== undefined ? `--roster ${values.roster}: ${why}` : why);
    }
    classroom = {
      names,
      quotas: {
        namespaces: count('quota-namespaces', values['quota-namespaces'], DEFAULT_QUOTAS.namespaces, 1000),
        terminals: count('quota-terminals', values['quota-terminals'], DEFAULT_QUOTAS.terminals, 64),
        captures: count('quota-captures', values['quota-captures'], DEFAULT_QUOTAS.captures, 64),
        processes: count('quota-processes', values['quota-processes'], DEFAULT_QUOTAS.processes, 4096),
      },
    };
  }

  return {
    port,
    listen: values.listen ?? '127.0.0.1',
    mode,
    token,
    tokenGenerated: given === undefined,
    stateDir,
    fresh: values.fresh ?? false,
    ...(values.lab ? { lab: resolve(values.lab) } : {}),
    dev: values.dev ?? false,
    statusIntervalMs,
    logLevel: values['log-level'] ?? env.NETLOOM_LOG_LEVEL ?? 'info',
    ...(attachPid !== undefined ? { attachPid } : {}),
    driver,
    exercisesDir: values.exercises ? resolve(values.exercises) : EXERCISES_DIR,
    ...(classroom ? { classroom } : {}),
  };
}

/**
 * Opens the engine for `mode`. The engine modules are imported lazily (they may shell out at import time,
 * and the HTTP layer must not depend on them statically).
 */
async function openEngineFor(
  mode: Mode,
  stateDir: string,
  log: Logger,
  attachPid?: number,
  driver: EngineDriver = 'auto',
): Promise<{ engine: Engine; sandbox: Sandbox | null; runner?: CommandRunner }> {
  const { openEngine: open } = await import('./engine/engine');
  const openEngine = async (o: { stateDir: string; runner: CommandRunner }) => {
    const engine = await open({ ...o, driver });
    if (driver === 'auto' && engine.driverName() !== 'netlink') {
      const { netlinkUnavailableReason } = await import('./engine/netlink/driver');
      log.info({ reason: netlinkUnavailableReason() }, 'netlink driver unavailable; using ip-batch');
    }
    log.info({ driver: engine.driverName() }, 'engine open');
    return engine;
  };
  if (attachPid !== undefined) {
    // Someone else's sandbox: we never close it, and its engine state (journal, applied labs) outlives us, so
    // a restart after kill -9 recovers exactly as in host mode.
    const { prefixedRunner } = await import('./engine/runner');
    const runner = prefixedRunner(['nsenter', '-t', String(attachPid), '-n', '-m', '--'], 'sandbox');
    const probe = await runner.run(['ip', 'netns', 'list'], { timeoutMs: 5000 });
    if (probe.code !== 0) throw new Error(`cannot enter the sandbox of pid ${attachPid}: ${probe.stderr.trim()}`);
    const engineDir = join(stateDir, `sandbox-${attachPid}`);
    await mkdir(engineDir, { recursive: true, mode: 0o700 });
    return { engine: await openEngine({ stateDir: engineDir, runner }), sandbox: null, runner };
  }
  if (mode === 'host') {
    const { hostRunner } = await import('./engine/runner');
    const runner = hostRunner();
    return { engine: await openEngine({ stateDir, runner }), sandbox: null, runner };
  }
  const { createSandbox } = await import('./engine/sandbox');
  const sandbox = await createSandbox();
  log.info({ pid: sandbox.pid }, 'sandbox created');
  try {
    // A sandbox starts empty every time: its engine state (journal, applied records) is per run.
    const engineDir = join(stateDir, 'sandbox-engine');
    await rm(engineDir, { recursive: true, force: true });
    await mkdir(engineDir, { recursive: true, mode: 0o700 });
    return {
      engine: await openEngine({ stateDir: engineDir, runner: sandbox.runner }),
      sandbox,
      runner: sandbox.runner,
    };
  } catch (e) {
    await sandbox.close();
    throw e;
  }
}

/** Imports `--lab FILE` (the file wins over a stored copy of the same name) or, on first start, the default example. */
async function openInitialLab(store: LabStore, opts: ServeOptions, log: Logger): Promise<string | undefined> {
  let checked: CheckedLab;
  if (opts.lab) {
    checked = await readLabFile(opts.lab);
    const existing = await store.get(checked.lab.name);
    if (!existing) await store.create(checked.lab, checked.layout);
    else if (JSON.stringify(existing.lab) !== JSON.stringify(checked.lab)) {
      await store.update(checked.lab.name, { lab: checked.lab, baseRevision: existing.revision });
      log.warn({ lab: checked.lab.name, previousRevision: existing.revision }, 'stored lab replaced by --lab file');
    }
    return checked.lab.name;
  }
  const names = await store.names();
  if (names.length > 0) return names.includes('veth-pair') ? 'veth-pair' : names[0];
  try {
    checked = await readLabFile(join(REPO_ROOT, 'examples', DEFAULT_EXAMPLE));
  } catch (e) {
    log.warn({ err: e instanceof Error ? e.message : String(e) }, 'default example not imported');
    return undefined;
  }
  await store.create(checked.lab, checked.layout);
  log.info({ lab: checked.lab.name }, 'default example imported');
  return checked.lab.name;
}

/** Host mode: a lab destroyed meanwhile by the CLI (`netloom down`) is no longer marked as applied. */
async function forgetDestroyedElsewhere(store: LabStore, engine: Engine, log: Logger): Promise<void> {
  for (const s of await store.list()) {
    if (s.appliedRevision === null || (await engine.appliedLab(s.name))) continue;
    await store.setApplied(s.name, null);
    log.info({ lab: s.name }, 'lab no longer applied on the host; mark cleared');
  }
}

/** Grading period of a student's checklist in classroom mode (30 worlds share two cores). */
const CLASSROOM_GRADE_MS = 500;
/**
 * Probes whose inputs did not change are re-run this rarely in classroom mode (a probe still re-runs at once
 * when the student's kernel or design changes): at the single-lab 5 s, 30 students × 7 pings made 40
 * processes a second — most of the server's CPU (bench/classroom.ts).
 */
const CLASSROOM_RECHECK_MS = 30_000;

function classroomBanner(classroom: Classroom, base: string, teacherUrl: string): string[] {
  classroom.baseUrl = base;
  return [
    '  Classroom dashboard (teacher):',
    `    ${teacherUrl}${teacherUrl.includes('?') ? '&' : '?'}view=classroom`,
    `  Personal links (${classroom.students.length} students; each opens that student's own sandbox):`,
    ...classroom.students.map((s) => `    ${s.label.padEnd(20)} ${classroom.linkOf(s)}`),
  ];
}

function bannerHost(listen: string): string {
  if (listen === '0.0.0.0' || listen === '::' || listen === '[::]') return '127.0.0.1';
  return listen.includes(':') && !listen.startsWith('[') ? `[${listen}]` : listen;
}

/** Test seam: replaces the engine factory (the real one needs the engine modules and, for host mode, root). */
export interface ServeHooks {
  openEngine?: (
    mode: Mode,
    stateDir: string,
    log: Logger,
    attachPid?: number,
    driver?: EngineDriver,
  ) => Promise<{ engine: Engine; sandbox: Sandbox | null; runner?: CommandRunner }>;
  /** Resolves with the listening port, once listening. */
  onListening?: (port: number, stop: () => void) => void;
  /** Where the start-up banner goes (default stdout). */
  print?: (text: string) => void;
}

/**
 * The state directory's `serve.lock` (one server per directory; a live holder is never robbed, a dead one's
 * lock is taken over), then the port, bound now and handed to the HTTP server later. An error message when
 * either is taken; nothing in the directory has been touched then.
 */
async function claimStateAndPort(
  opts: ServeOptions,
): Promise<{ serveLock: HeldLock; portHolder: NetServer; early: Socket[] } | string> {
  let serveLock: HeldLock;
  try {
    serveLock = await acquireLock(opts.stateDir, 0, 'serve.lock');
  } catch (e) {
    if (!(e instanceof LockBusyError)) throw e;
    return `another Netloom server (pid ${e.holder.pid}) is using the state directory ${opts.stateDir}; stop it first, or give this one its own --state-dir`;
  }
  // Connections that arrive while the server starts (a health check polling) wait, paused, for the HTTP
  // server: they are handed to it once it owns the socket (never left hanging on this placeholder).
  const early: Socket[] = [];
  const portHolder = createNetServer({ pauseOnConnect: true }, (socket) => {
    early.push(socket);
    socket.once('close', () => early.splice(early.indexOf(socket) >>> 0, 1));
  });
  try {
    await new Promise<void>((ok, fail) => {
      portHolder.once('error', fail);
      portHolder.listen(opts.port, opts.listen, () => {
        portHolder.off('error', fail);
        ok();
      });
    });
  } catch (e) {
    await serveLock.release();
    const code = (e as NodeJS.ErrnoException).code;
    return `cannot listen on ${opts.listen}:${opts.port}${code === 'EADDRINUSE' ? ' (port in use; try --port)' : ''}: ${String(e)}`;
  }
  return { serveLock, portHolder, early };
}

export async function serve(args: string[], hooks: ServeHooks = {}): Promise<number> {
  let opts: ServeOptions;
  try {
    opts = parseServeArgs(args);
  } catch (e) {
    if (e instanceof UsageError) {
      if (e.message) console.error(`netloom serve: ${e.message}\n`);
      console.error(USAGE);
      return e.message ? 2 : 0;
    }
    throw e;
  }
  const log = createLogger({ level: opts.logLevel });

  await mkdir(opts.stateDir, { recursive: true, mode: 0o700 });
  // Issue #13 item 7: before anything in the state directory is read or written, own it (a second server on
  // the same directory would wipe the first's engine state), then own the port.
  const claimed = await claimStateAndPort(opts);
  if (typeof claimed === 'string') {
    console.error(`netloom serve: ${claimed}`);
    return 1;
  }
  const { serveLock, portHolder, early } = claimed;
  const releaseClaims = async () => {
    portHolder.close();
    await serveLock.release();
  };
  const store = await LabStore.open(opts.stateDir, log, { fresh: opts.fresh });
  let defaultLab: string | undefined;
  try {
    defaultLab = await openInitialLab(store, opts, log);
  } catch (e) {
    await releaseClaims();
    if (e instanceof AppError) {
      console.error(`netloom serve: ${opts.lab ?? 'lab'}: ${e.message}`);
      for (const i of e.issues) console.error(`  ${formatPath(i.path) || '(document)'}: ${i.message}`);
      return 2;
    }
    throw e;
  }
  const examples = await loadExamples(join(REPO_ROOT, 'examples'), log);
  const exercises = await loadCatalogue(opts.exercisesDir, log);

  let engine: Engine;
  let sandbox: Sandbox | null;
  // The live tools run their programs in the same world as the engine (sandbox or host).
  let runner: CommandRunner | undefined;
  try {
    ({ engine, sandbox, runner } = await (hooks.openEngine ?? openEngineFor)(
      opts.mode,
      opts.stateDir,
      log,
      opts.attachPid,
      opts.driver,
    ));
  } catch (e) {
    await releaseClaims();
    log.error({ err: e }, 'engine failed to start');
    console.error(`netloom serve: cannot start the ${opts.mode} engine: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
  // Nothing survives a sandbox: labs recorded as applied in an earlier run are not applied in this one.
  if (opts.mode === 'sandbox' && opts.attachPid === undefined) await store.clearApplied();
  else await forgetDestroyedElsewhere(store, engine, log);

  const app = createApp({
    engine,
    store,
    log,
    token: opts.token,
    mode: opts.mode,
    listen: opts.listen,
    ...(opts.dev ? { extraPorts: [VITE_PORT], staticDir: null } : {}),
    examples,
    exercises,
    ...(defaultLab ? { defaultLab } : {}),
    statusIntervalMs: opts.statusIntervalMs,
    version: packageVersion(),
    ...(runner ? { runner } : {}),
  });

  // Classroom mode: a front door hands each request to its principal's world (server/classroom/server.ts).
  let front: ClassroomServer | null = null;
  let classroom: Classroom | null = null;
  let relay: SpawnRelay | null = null;
  if (opts.classroom) {
    // Every world's commands start in one small relay process, not in the server (relay.ts).
    relay = new SpawnRelay();
    const spawner = relay.run.bind(relay);
    classroom = new Classroom({
      students: makeRoster(opts.classroom.names),
      teacherToken: opts.token,
      catalogue: exercises,
      log,
      world: {
        dir: join(opts.stateDir, 'classroom'),
        log,
        listen: opts.listen,
        ...(opts.dev ? { extraPorts: [VITE_PORT], staticDir: null } : {}),
        examples,
        exercises,
        statusIntervalMs: opts.statusIntervalMs,
        quotas: opts.classroom.quotas,
        driver: opts.driver,
        probed: { capabilities: engine.capabilities(), versions: engine.versions() },
        version: packageVersion(),
        grader: { intervalMs: CLASSROOM_GRADE_MS, recheckMs: CLASSROOM_RECHECK_MS },
        spawner,
      },
    });
    front = createClassroomServer(classroom, app, log);
  }
  const listener = front?.server ?? app.server;

  const shutdownEngine = async () => {
    relay?.close();
    await engine.close().catch((err: unknown) => log.error({ err }, 'engine close failed'));
    await sandbox?.close().catch((err: unknown) => log.error({ err }, 'sandbox close failed'));
    await serveLock.release().catch(() => {});
  };

  try {
    await new Promise<void>((ok, fail) => {
      listener.once('error', fail);
      // The socket bound at start (claimStateAndPort) is handed to the HTTP server.
      listener.listen(portHolder, () => {
        listener.off('error', fail);
        for (const socket of early.splice(0)) {
          listener.emit('connection', socket);
          socket.resume();
        }
        ok();
      });
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    console.error(
      `netloom serve: cannot listen on ${opts.listen}:${opts.port}${code === 'EADDRINUSE' ? ' (port in use; try --port)' : ''}: ${String(e)}`,
    );
    await front?.close();
    await app.close();
    await shutdownEngine();
    return 1;
  }

  const port = (listener.address() as { port: number }).port;
  const host = bannerHost(opts.listen);
  // Loopback: the dedicated name netloom.localhost (Chromium and Firefox resolve *.localhost to loopback), so
  // the session cookie reaches no other local service; the address itself keeps working.
  const onLoopback = ['127.0.0.1', 'localhost', '::1', '[::1]', '0.0.0.0', '::', '[::]'].includes(opts.listen);
  const url = opts.dev
    ? `http://localhost:${VITE_PORT}/api/login?token=${opts.token}`
    : `http://${onLoopback ? NETLOOM_HOST : host}:${port}/?token=${opts.token}`;
  const alt = !opts.dev && onLoopback ? [`    (or http://${host}:${port}/?token=${opts.token})`] : [];
  (hooks.print ?? ((t: string) => process.stdout.write(t)))(
    [
      `Netloom ${packageVersion()} — ${opts.mode} mode${opts.mode === 'sandbox' ? ' (labs live in a private namespace; the host is untouched)' : ' (labs change this host)'}`,
      `  listening on http://${host}:${port}  state: ${opts.stateDir}  driver: ${engine.driverName()}${opts.dev ? '  (dev: canvas served by vite)' : ''}`,
      '  Open this URL (it carries the access token):',
      `    ${url}`,
      ...alt,
      ...(classroom ? classroomBanner(classroom, `http://${host}:${opts.dev ? VITE_PORT : port}`, url) : []),
      '',
    ].join('\n'),
  );
  log.info({ port, listen: opts.listen, mode: opts.mode, stateDir: opts.stateDir, defaultLab }, 'listening');

  return new Promise<number>((resolveExit) => {
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) {
        log.warn({ signal }, 'second signal: exiting now');
        process.exit(1);
      }
      stopping = true;
      log.info({ signal }, 'shutting down');
      await front?.close();
      await app.close();
      // Let a running apply finish (the engine's journal covers a hard kill, but a clean end is better).
      await Promise.race([app.ops.idle(), new Promise((r) => setTimeout(r, 15_000).unref())]);
      await shutdownEngine();
      log.info('stopped');
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolveExit(0);
    };
    const onInt = () => void stop('SIGINT');
    const onTerm = () => void stop('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    hooks.onListening?.(port, () => void stop('test'));
  });
}
