/**
 * Command runners: spawn one program with an argv array (never a shell), collect stdout/stderr, and kill the
 * whole process group on timeout (spawnArgv.mjs, shared with the spawn relay). `hostRunner()` runs on this machine; sandbox runners prefix `nsenter …`.
 * Must not interpret output: callers decide on exit codes and re-reads.
 */
import type { Mode } from '../../shared';
import type { CommandRunner, RunOptions, RunResult, ToolIdentity } from './contract';
import { spawnArgv } from './spawnArgv.mjs';

export { DEFAULT_TIMEOUT_MS, SPAWN_FAILED, spawnArgv, TIMED_OUT } from './spawnArgv.mjs';

/** How a runner starts a command: here (`spawnArgv`) or through a spawn relay (relay.ts). */
export type Spawner = (argv: readonly string[], opts?: RunOptions) => Promise<RunResult>;

/** A runner whose every command is `prefix ++ argv`. */
export function prefixedRunner(
  prefix: readonly string[],
  mode: Mode,
  spawner: Spawner = spawnArgv,
  tools?: ToolIdentity,
): CommandRunner {
  const frozen = Object.freeze([...prefix]);
  return {
    prefix: frozen,
    mode,
    run: (argv, opts) => spawner([...frozen, ...argv], opts),
    ...(tools && { tools }),
  };
}

/** Runs commands on this machine (host mode: real namespaces, visible to `ip netns` in the user's shell). */
export function hostRunner(): CommandRunner {
  return prefixedRunner([], 'host');
}
