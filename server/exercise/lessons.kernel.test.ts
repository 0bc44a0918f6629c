/**
 * Every shipped lesson (examples/exercises), in its own sandbox, on the driver under test: the starting lab
 * and its setup come up, the check fails on that state, the reference solution is applied (its lab through
 * the engine, its commands as plain `ip` argv in the sandbox — as a student would type them), and then every
 * goal is met.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { openEngine } from '../engine/engine';
import { describeKernel, kernelDriver, withSandbox } from '../engine/testing/kernel';
import { silentLogger } from '../log';
import { applySolution, startExercise } from './commands';
import { checkExercise, EXERCISES_DIR, parseExerciseText } from './files';
import { Grader } from './grader';

const lessons = readdirSync(EXERCISES_DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((file) => ({
    file,
    exercise: checkExercise(parseExerciseText(readFileSync(join(EXERCISES_DIR, file), 'utf8'))),
  }));

describeKernel(`shipped lessons (${kernelDriver()} driver)`, () => {
  it('there are lessons, each with a reference solution', () => {
    expect(lessons.length).toBeGreaterThanOrEqual(10);
    for (const l of lessons) expect(l.exercise.solution, l.file).toBeDefined();
  });

  // Each lesson has a sandbox of its own, and most of a lesson's time is spent waiting (pings that must
  // fail time out): three at a time, not one after the other (37 s → about 15 s per driver in CI).
  // (A test's time includes its wait for a slot: 240 s each.)
  const slots = limiter(3);
  for (const { file, exercise } of lessons) {
    it.concurrent(`${file}: fails as given, passes after the reference solution`, { timeout: 240_000 }, async ({
      expect,
    }) => {
      await slots(() =>
        withSandbox(async (sb, stateDir) => {
          const engine = await openEngine({ stateDir, runner: sb.runner, driver: kernelDriver() });
          try {
            const started = await startExercise(engine, sb.runner, exercise);
            expect(started.error).toBeUndefined();
            const grader = new Grader({ engine, runner: sb.runner, log: silentLogger() });

            const before = await grader.check(exercise);
            expect(before.complete, JSON.stringify(before.goals)).toBe(false);
            expect(before.earned).toBeLessThan(before.total);

            await applySolution(engine, sb.runner, exercise);
            const design = exercise.solution?.lab ?? exercise.lab;
            const after = await grader.check(exercise, design);
            const failing = after.goals.filter((g) => g.met !== true).map((g) => `${g.id}: ${g.reason}`);
            expect(failing).toEqual([]);
            expect(after.complete).toBe(true);
            expect(after.earned).toBe(after.total);
          } finally {
            await engine.close();
          }
        }),
      );
    });
  }
});

/** Runs at most `n` of the functions given to it at a time. */
function limiter(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let free = n;
  const waiting: (() => void)[] = [];
  return async (fn) => {
    if (free === 0) await new Promise<void>((ok) => waiting.push(ok));
    else free--;
    try {
      return await fn();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else free++;
    }
  };
}
