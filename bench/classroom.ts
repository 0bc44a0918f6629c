/**
 * `tsx bench/classroom.ts [--students 30] [--rounds 10] [--window 20] [--log FILE] [--prof DIR]` (npm run bench:classroom): classroom
 * mode at class scale (issue 17 item 5). The real command (`netloom serve --classroom --students N`, the
 * compiled build; `--log` keeps its JSON log, with each world's open/apply/grade timings) with a 10-namespace exercise (bench/exercise.ts's routed LAN, 14 goals) pushed before
 * anyone joined; then:
 *  - start: N students join at once (one request each, which opens their sandbox and starts the exercise
 *    in it) → every student's first report with the exercise up (all address goals met), on the teacher's
 *    dashboard socket. Target ≤ 10 s.
 *  - steady state: N live checklists (a /ws per student subscribed to their lab: status at 1 Hz + live
 *    grading) and the teacher's dashboard; the server process's CPU (utime + stime from /proc) and RSS over
 *    a window. Target ≤ 15 % of a core. `cpu_all_pct`/`rss_all_mb` add its children (per world: the netlink
 *    agent, the sandbox holder) — the whole class's cost on this machine.
 *  - check latency: per round, one student's kernel changes (`ip addr del` then `add` in THEIR sandbox,
 *    through nsenter, as their terminal would) → the address goal green on that student's socket. Target ≤ 1 s.
 * Prints `bench topology=classroom students=N start_s=… cpu_pct=… rss_mb=… green_p50_ms=… green_p95_ms=…`.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { stringify } from 'yaml';
import { type ClassroomDashboard, type GradeReport, ServerMessage } from '../shared';
import { classroomExercise } from './exercise';

export const START_LIMIT_S = 10;
export const CPU_LIMIT_PCT = 15;
export const GREEN_LIMIT_MS = 1000;

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? Number.NaN;
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim() || 100);

/** utime + stime (s) and RSS (MB) of `pid`, and with its descendants. */
function usage(pid: number): { cpu: number; rss: number; cpuAll: number; rssAll: number } {
  const kids = new Map<number, number[]>();
  const stat = new Map<number, { cpu: number; rss: number }>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const s = readFileSync(`/proc/${e}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(f[1]);
      stat.set(Number(e), { cpu: (Number(f[11]) + Number(f[12])) / CLK_TCK, rss: (Number(f[21]) * 4096) / 2 ** 20 });
      kids.set(ppid, [...(kids.get(ppid) ?? []), Number(e)]);
    } catch {
      // gone
    }
  }
  const own = stat.get(pid) ?? { cpu: 0, rss: 0 };
  let cpuAll = 0;
  let rssAll = 0;
  const walk = (p: number) => {
    const s = stat.get(p);
    if (s) {
      cpuAll += s.cpu;
      rssAll += s.rss;
    }
    for (const c of kids.get(p) ?? []) walk(c);
  };
  walk(pid);
  return { cpu: own.cpu, rss: own.rss, cpuAll, rssAll };
}

function socket(url: string, token: string): Promise<WebSocket> {
  return new Promise((ok, fail) => {
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
    ws.once('open', () => ok(ws));
    ws.once('error', fail);
  });
}

const parse = (data: WebSocket.RawData): ServerMessage | null => {
  const m = ServerMessage.safeParse(JSON.parse(data.toString()));
  return m.success ? m.data : null;
};

/** `--prof DIR`: the server writes a V8 CPU profile there (where its start and steady state spend time). */
const profArgs = () => {
  const i = process.argv.indexOf('--prof');
  return i > 0 ? ['--cpu-prof', `--cpu-prof-dir=${process.argv[i + 1]}`] : [];
};

export interface ClassroomFigures {
  students: number;
  startS: number;
  cpuPct: number;
  rssMb: number;
  cpuAllPct: number;
  rssAllMb: number;
  greenMs: number[];
}

export async function benchClassroom(students = 30, rounds = 10, windowS = 20): Promise<ClassroomFigures> {
  const dir = await mkdtemp(join(tmpdir(), 'netloom-bench-class-'));
  const exDir = join(dir, 'exercises');
  spawnSync('mkdir', ['-p', exDir]);
  const ex = classroomExercise();
  await writeFile(join(exDir, 'bench.yaml'), stringify(ex));
  const token = 'bench-teacher-token-0123456789';
  const port = 7400 + Math.floor(Math.random() * 300) + 1000;
  const base = `http://127.0.0.1:${port}`;
  const bin = join(import.meta.dirname, '..', 'bin', 'netloom.js');
  const child: ChildProcess = spawn(
    process.execPath,
    [
      ...profArgs(),
      bin,
      'serve',
      '--classroom',
      '--students',
      String(students),
      '--exercises',
      exDir,
      '--port',
      String(port),
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        NETLOOM_TOKEN: token,
        NETLOOM_STATE_DIR: join(dir, 'state'),
        NETLOOM_LOG_LEVEL: 'info',
      },
    },
  );
  const links: string[] = [];
  const holders = new Map<string, number>();
  let err = '';
  const logTo = process.argv.includes('--log') ? process.argv[process.argv.indexOf('--log') + 1] : undefined;
  child.stderr!.on('data', (b: Buffer) => {
    if (logTo) appendFileSync(logTo, b);
    err += b.toString('utf8');
    let nl = err.indexOf('\n');
    while (nl >= 0) {
      const line = err.slice(0, nl);
      err = err.slice(nl + 1);
      if (line.includes('student world open')) {
        const j = JSON.parse(line) as { student: string; sandbox: number };
        holders.set(j.student, j.sandbox);
      }
      nl = err.indexOf('\n');
    }
  });
  const sockets: WebSocket[] = [];
  try {
    await new Promise<void>((ok, fail) => {
      let out = '';
      child.once('exit', (c) => fail(new Error(`server exited ${c}: ${out}`)));
      child.stdout!.on('data', (b: Buffer) => {
        out += b.toString('utf8');
        const found = [...out.matchAll(/^\s+Student \d+\s+(http:\/\/\S+)$/gm)].map((m) => m[1]!);
        if (found.length === students) {
          links.push(...found);
          child.removeAllListeners('exit');
          ok();
        }
      });
    });
    const tokens = links.map((l) => new URL(l).searchParams.get('token')!);
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const pushed = await fetch(`${base}/api/classroom/push`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ file: 'bench.yaml' }),
    });
    if (pushed.status !== 202) throw new Error(`push: ${pushed.status} ${await pushed.text()}`);

    // The teacher's dashboard socket tells when everyone is up.
    const teacher = await socket(`ws://127.0.0.1:${port}/ws`, token);
    sockets.push(teacher);
    let dash: ClassroomDashboard | null = null;
    let onDash = () => {};
    teacher.on('message', (d) => {
      const m = parse(d);
      if (m?.type === 'classroom') {
        dash = m.dashboard;
        onDash();
      }
    });
    teacher.send(JSON.stringify({ type: 'watch', topic: 'classroom' }));
    const up = (r: GradeReport | null) =>
      !!r && r.goals.filter((g) => g.id.startsWith('addr')).every((g) => g.met === true);
    const allUp = () => dash !== null && (dash as ClassroomDashboard).students.every((s) => up(s.report));

    const t0 = performance.now();
    const joins = await Promise.all(
      tokens.map((t) => fetch(`${base}/api/labs`, { headers: { authorization: `Bearer ${t}` } })),
    );
    const bad = joins.find((r) => r.status !== 200);
    if (bad) throw new Error(`a join failed: ${bad.status} ${await bad.text()}`);
    await new Promise<void>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error('not all students started within 120 s')), 120_000);
      onDash = () => {
        if (allUp()) {
          clearTimeout(timer);
          ok();
        }
      };
      onDash();
    });
    const startS = (performance.now() - t0) / 1000;
    const errors = (dash as ClassroomDashboard | null)?.students.filter((s) => s.error) ?? [];
    if (errors.length) throw new Error(`students with errors: ${errors.map((s) => s.error).join('; ')}`);

    // N live checklists: each student's canvas socket, subscribed to their exercise lab.
    const latest = new Map<number, GradeReport | null>();
    const wakers = new Map<number, () => void>();
    await Promise.all(
      tokens.map(async (t, i) => {
        const ws = await socket(`ws://127.0.0.1:${port}/ws`, t);
        sockets.push(ws);
        ws.on('message', (d) => {
          const m = parse(d);
          if (m?.type === 'exercise') {
            latest.set(i, m.report);
            wakers.get(i)?.();
          }
        });
        ws.send(JSON.stringify({ type: 'subscribe', lab: ex.lab.name }));
      }),
    );
    // Settle (first snapshots, probes' first runs), then measure the quiet class.
    await new Promise((r) => setTimeout(r, 8000));
    const pid = child.pid!;
    const u0 = usage(pid);
    const w0 = performance.now();
    await new Promise((r) => setTimeout(r, windowS * 1000));
    const u1 = usage(pid);
    const wall = (performance.now() - w0) / 1000;
    const cpuPct = ((u1.cpu - u0.cpu) / wall) * 100;
    const cpuAllPct = ((u1.cpuAll - u0.cpuAll) / wall) * 100;

    // Check latency: one student's kernel changes; their checklist turns green.
    const met = (i: number, id: string) => latest.get(i)?.goals.find((g) => g.id === id)?.met;
    const until = (i: number, pred: () => boolean) =>
      new Promise<void>((ok, fail) => {
        const timer = setTimeout(() => fail(new Error(`student ${i + 1}: timed out waiting for the grader`)), 30_000);
        const check = () => {
          if (pred()) {
            clearTimeout(timer);
            wakers.delete(i);
            ok();
          }
        };
        wakers.set(i, check);
        check();
      });
    const ipIn = (i: number, argv: string[]) => {
      const holder = holders.get(`student-${i + 1}`);
      if (!holder) throw new Error(`no sandbox pid for student ${i + 1}`);
      const r = spawnSync('nsenter', ['-t', String(holder), '-n', '-m', '-p', '--', 'ip', ...argv]);
      if (r.status !== 0) throw new Error(`ip ${argv.join(' ')}: ${r.stderr}`);
    };
    const greenMs: number[] = [];
    for (let k = 0; k < rounds; k++) {
      const i = (k * 7) % students;
      await until(i, () => met(i, 'addr7') === true);
      ipIn(i, ['-n', 'h7', 'addr', 'del', '10.5.0.7/24', 'dev', 'eth0']);
      await until(i, () => met(i, 'addr7') === false);
      const t = performance.now();
      ipIn(i, ['-n', 'h7', 'addr', 'add', '10.5.0.7/24', 'dev', 'eth0']);
      await until(i, () => met(i, 'addr7') === true);
      greenMs.push(performance.now() - t);
      ipIn(i, ['-n', 'h7', 'route', 'replace', 'default', 'via', '10.5.0.254']);
    }
    const f: ClassroomFigures = {
      students,
      startS,
      cpuPct,
      rssMb: u1.rss,
      cpuAllPct,
      rssAllMb: u1.rssAll,
      greenMs,
    };
    console.log(
      `bench topology=classroom students=${students} start_s=${startS.toFixed(1)} cpu_pct=${cpuPct.toFixed(1)} rss_mb=${u1.rss.toFixed(0)} green_p50_ms=${pct(greenMs, 0.5).toFixed(0)} green_p95_ms=${pct(greenMs, 0.95).toFixed(0)} cpu_all_pct=${cpuAllPct.toFixed(1)} rss_all_mb=${u1.rssAll.toFixed(0)} window_s=${wall.toFixed(0)} rounds=${rounds}`,
    );
    return f;
  } finally {
    for (const ws of sockets) ws.terminate();
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM'); // the server we started; it closes every student's world and sandbox
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  }
}

/** The target lines for bench.ts's summary; returns the number of misses. */
export function classroomTargets(f: ClassroomFigures): number {
  const rows: [string, number, number, string][] = [
    [`classroom: ${f.students} students started`, f.startS, START_LIMIT_S, 's'],
    [`classroom: server CPU, ${f.students} live checklists`, f.cpuPct, CPU_LIMIT_PCT, '%'],
    ['classroom: kernel change → goal green (p95)', pct(f.greenMs, 0.95), GREEN_LIMIT_MS, 'ms'],
  ];
  let misses = 0;
  for (const [what, v, limit, unit] of rows) {
    const ok = v <= limit;
    if (!ok) misses++;
    console.log(
      `  ${what.padEnd(44)} ≤ ${String(limit).padEnd(4)} ${unit.padEnd(2)} ${v.toFixed(1)} ${ok ? 'PASS' : 'MISS'}`,
    );
  }
  return misses;
}

if (process.argv[1]?.endsWith('classroom.ts')) {
  const f = await benchClassroom(arg('--students', 30), arg('--rounds', 10), arg('--window', 20));
  classroomTargets(f);
}
