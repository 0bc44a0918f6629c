/**
 * `netloom check EXERCISE [--json] [--lab FILE]` and `netloom exercise start|solve|show|list`: exercises from a
 * terminal, against the current host (or the sandbox of NETLOOM_SANDBOX_PID). EXERCISE is a file, or the name
 * of a shipped one (`veth-pair`, `01-veth-pair`, `ex-veth-pair`). Exit codes: 0 all goals met / done,
 * 1 not all met / failed, 2 invalid exercise or usage. Prints; decides nothing the grader does not.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Exercise, formatPath, type GradeReport, type Lab } from '../../shared';
import type { Engine } from '../engine/contract';
import { AppError } from '../errors';
import { silentLogger } from '../log';
import { readLabFile } from '../store/labFiles';
import { applySolution, startExercise } from './commands';
import { EXERCISES_DIR, loadCatalogue, readExerciseFile } from './files';
import { Grader } from './grader';

const USAGE = `Usage:
  netloom check EXERCISE [--json] [--lab FILE]   judge every goal against the host (exit 0: all met)
  netloom exercise start EXERCISE                bring up the starting lab (and its setup commands)
  netloom exercise solve EXERCISE                apply the reference solution (teachers, tests)
  netloom exercise show EXERCISE                 print the instructions and goals
  netloom exercise list                          the shipped exercises
EXERCISE is a file or the name of a shipped exercise. --lab: the student's design (default: the lab last
applied under the exercise's lab name, else the starting lab), for the "design and kernel agree" goals.`;

const out = (s: string) => process.stdout.write(`${s}\n`);
const err = (s: string) => process.stderr.write(`${s}\n`);

/** A path, or a shipped exercise by file name (with or without number/extension) or lab name. */
export async function resolveExercise(arg: string): Promise<{ file: string; exercise: Exercise }> {
  if (existsSync(arg)) return { file: arg, exercise: await readExerciseFile(arg) };
  const all = await loadCatalogue(EXERCISES_DIR, silentLogger());
  const bare = (f: string) => f.replace(/\.(ya?ml|json)$/, '');
  const hit =
    all.find((e) => e.file === arg || bare(e.file) === arg) ??
    all.find((e) => bare(e.file).replace(/^\d+-/, '') === arg || e.exercise.lab.name === arg);
  if (!hit) throw new AppError('NotFound', `no exercise file or shipped exercise named "${arg}"`);
  return { file: join(EXERCISES_DIR, hit.file), exercise: hit.exercise };
}

function printReport(r: GradeReport): void {
  out(
    `${r.title} — ${r.earned}/${r.total} points, ${r.goals.filter((g) => g.met).length} of ${r.goals.length} goals met`,
  );
  for (const g of r.goals) {
    const mark = g.met ? 'ok  ' : 'FAIL';
    out(`  ${mark} ${g.title} (${g.points} pt${g.points === 1 ? '' : 's'})`);
    out(`       ${g.reason}`);
  }
}

function cliDriver(): 'ip-batch' | 'netlink' | 'auto' {
  const d = process.env.NETLOOM_DRIVER ?? 'ip-batch';
  if (d === 'ip-batch' || d === 'netlink' || d === 'auto') return d;
  throw new AppError('InvalidRequest', `NETLOOM_DRIVER must be one of ip-batch, netlink, auto (got "${d}")`);
}

export async function runExerciseCommand(cmd: string, args: string[]): Promise<number> {
  const flags = new Set(args.filter((a) => a.startsWith('--')));
  const positional: string[] = [];
  let labFile: string | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--lab') labFile = args[++i];
    else if (!args[i]!.startsWith('--')) positional.push(args[i]!);
  }
  const sub = cmd === 'check' ? 'check' : positional.shift();
  if (!sub || sub === 'help' || flags.has('--help')) {
    out(USAGE);
    return sub ? 0 : 2;
  }
  if (sub === 'list') {
    for (const e of await loadCatalogue(EXERCISES_DIR, silentLogger()))
      out(`${e.file.replace(/\.(ya?ml|json)$/, '').padEnd(20)} ${e.exercise.title}`);
    return 0;
  }
  const target = positional[0];
  if (!target) {
    err(`netloom ${cmd === 'check' ? 'check' : `exercise ${sub}`}: an exercise is required\n\n${USAGE}`);
    return 2;
  }
  let ex: Exercise;
  try {
    ({ exercise: ex } = await resolveExercise(target));
  } catch (e) {
    if (!(e instanceof AppError)) throw e;
    err(`netloom: ${target}: ${e.message}`);
    for (const i of e.issues.slice(0, 20)) err(`  ${formatPath(i.path) || '(document)'}: ${i.message}`);
    return 2;
  }
  if (sub === 'show') {
    out(`# ${ex.title}\n\n${ex.instructions.trim()}\n\nGoals:`);
    for (const g of ex.goals) out(`  - ${g.title} (${g.points} pt${g.points === 1 ? '' : 's'})`);
    return 0;
  }
  if (!['check', 'start', 'solve'].includes(sub)) {
    err(`netloom exercise: unknown command "${sub}"\n\n${USAGE}`);
    return 2;
  }
  const { openEngine } = await import('../engine/engine');
  const { cliRunner, defaultStateDir } = await import('../engine/commands');
  const runner = cliRunner();
  const engine: Engine = await openEngine({
    stateDir: defaultStateDir(),
    runner,
    skipProbe: sub === 'check',
    driver: cliDriver(),
  });
  try {
    if (sub === 'start') {
      const o = await startExercise(engine, runner, ex);
      if (!o.ok) {
        err(`start ${ex.lab.name}: ${o.error?.code}: ${o.error?.message}`);
        return 1;
      }
      out(
        `exercise "${ex.title}" is up as lab ${ex.lab.name} (${o.ran} operations); check it with: netloom check ${target}`,
      );
      return 0;
    }
    if (sub === 'solve') {
      await applySolution(engine, runner, ex);
      out(`applied the reference solution of "${ex.title}"`);
      return 0;
    }
    let design: Lab = ex.lab;
    if (labFile) design = (await readLabFile(labFile)).lab;
    else design = (await engine.appliedLab(ex.lab.name)) ?? ex.lab;
    const report = await new Grader({ engine, runner, log: silentLogger() }).check(ex, design);
    if (flags.has('--json')) out(JSON.stringify(report, null, 2));
    else printReport(report);
    return report.complete ? 0 : 1;
  } catch (e) {
    if (!(e instanceof AppError)) throw e;
    err(`netloom: ${e.message}`);
    return e.code === 'InvalidLab' ? 2 : 1;
  } finally {
    await engine.close();
  }
}
