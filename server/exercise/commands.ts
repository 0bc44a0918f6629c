/**
 * Bringing an exercise's state onto the host: its setup commands (after the starting lab is up) and its
 * reference solution (the solution lab through the engine, then its commands). Commands are argv arrays run
 * through the world's runner, each re-checked by commandProblem() (only the exercise's own namespaces;
 * ip/bridge/tc/sysctl/nft; nothing that reads files). Stops at the first failure.
 */
import { commandProblem, type Exercise, type ExerciseView, type Lab } from '../../shared';
import type { ApplyOutcome, CommandRunner, Engine, Progress } from '../engine/contract';
import { AppError } from '../errors';

/** The namespaces an exercise's commands may touch: those of its starting and solution labs. */
export function exerciseNamespaces(ex: ExerciseView | Exercise): Set<string> {
  const out = new Set<string>();
  const labs = [ex.lab, 'solution' in ex ? ex.solution?.lab : undefined];
  for (const lab of labs) for (const n of lab?.nodes ?? []) if (n.kind === 'namespace') out.add(n.name);
  return out;
}

/** Runs `cmds` in order; throws HostCommandFailed (with the command and its stderr) on the first failure. */
export async function runCommands(
  runner: CommandRunner,
  cmds: readonly (readonly string[])[],
  namespaces: ReadonlySet<string>,
  onCommand?: (argv: readonly string[], index: number) => void,
): Promise<number> {
  let i = 0;
  for (const argv of cmds) {
    const problem = commandProblem(argv, namespaces);
    if (problem) throw new AppError('InvalidLab', `command ${i + 1} (${argv.join(' ')}): ${problem}`);
    onCommand?.(argv, i);
    const r = await runner.run(argv, { timeoutMs: 30_000 });
    if (r.code !== 0)
      throw new AppError(
        'HostCommandFailed',
        `command ${i + 1} failed (exit ${r.code}): ${argv.join(' ')}: ${r.stderr.trim().split('\n')[0] ?? ''}`,
      );
    i++;
  }
  return i;
}

/**
 * Applies the starting lab (or `design`, a student's stored version of it), then the setup commands: one
 * outcome for both, as one operation.
 */
export async function startExercise(
  engine: Engine,
  runner: CommandRunner,
  ex: ExerciseView | Exercise,
  onProgress?: (p: Progress) => void,
  design: Lab = ex.lab,
): Promise<ApplyOutcome> {
  const t0 = performance.now();
  const o = await engine.apply(design, onProgress);
  if (!o.ok || !ex.setup.length) return o;
  try {
    const total = ex.setup.length;
    const ran = await runCommands(runner, ex.setup, exerciseNamespaces(ex), (argv, i) =>
      onProgress?.({ phase: 'execute', step: i + 1, total, command: argv.join(' ') }),
    );
    return { ...o, ran: o.ran + ran, durationMs: performance.now() - t0 };
  } catch (e) {
    return {
      ok: false,
      ran: o.ran,
      durationMs: performance.now() - t0,
      error: {
        code: 'HostCommandFailed',
        message: `the exercise's setup failed: ${e instanceof Error ? e.message : String(e)}`,
        rolledBack: false,
      },
    };
  }
}

/** Applies the reference solution: its lab through the engine (if any), then its commands. */
export async function applySolution(engine: Engine, runner: CommandRunner, ex: Exercise): Promise<void> {
  if (!ex.solution) throw new AppError('NotFound', `"${ex.title}" has no reference solution`);
  if (ex.solution.lab) {
    const o = await engine.apply(ex.solution.lab);
    if (!o.ok) throw new AppError('HostCommandFailed', `the solution lab failed to apply: ${o.error?.message ?? ''}`);
  }
  await runCommands(runner, ex.solution.commands ?? [], exerciseNamespaces(ex));
}
