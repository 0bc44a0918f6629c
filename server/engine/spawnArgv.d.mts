// Types of spawnArgv.mjs for its TypeScript users (runner.ts, relay.ts).
import type { ChildProcess } from 'node:child_process';
import type { RunOptions, RunResult } from './contract';

export const DEFAULT_TIMEOUT_MS: number;
export const SPAWN_FAILED: number;
export const TIMED_OUT: number;
export function killGroup(child: ChildProcess): void;
export function spawnArgv(argv: readonly string[], opts?: RunOptions, running?: Set<ChildProcess>): Promise<RunResult>;
