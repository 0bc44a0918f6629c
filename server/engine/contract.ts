/**
 * The engine's public contract, used by the HTTP server and the CLI. The engine owns everything below this
 * line (observe → plan → execute → verify, journal, lock, recovery); callers never touch the host directly.
 * Implemented in `server/engine/engine.ts` (`openEngine`).
 */
import type { Lab, LabStatus, Mode, PlanResult } from '../../shared';
import type { ObservedState, Operation } from './types';

/** Runs one program with an argv array (never a shell). Sandboxed runners enter the sandbox first. */
export interface CommandRunner {
  run(argv: readonly string[], opts?: RunOptions): Promise<RunResult>;
  /** argv prefix that enters the runner's world (e.g. nsenter …), for long-lived children like ping/tcpdump. */
  readonly prefix: readonly string[];
  readonly mode: Mode;
  /** Who the live tools started through this runner run as (default: `nobody` when the server is root). */
  readonly tools?: ToolIdentity;
}

/**
 * The user a confined tool (terminal, capture, exec) becomes (server/tools/confine.ts). Classroom mode gives
 * every student a uid of their own, so their processes can be counted and limited apart.
 */
export interface ToolIdentity {
  /** uid and gid to switch to (real root only). */
  uid: number;
  /** RLIMIT_NPROC of that uid: processes (and threads) it may have at once, over all its tools. */
  maxProcesses?: number;
}
export interface RunOptions {
  stdin?: string;
  timeoutMs?: number;
}
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Progress {
  phase: 'observe' | 'plan' | 'execute' | 'verify' | 'rollback' | 'done';
  step: number;
  total: number;
  /** Current command as shell text, for display. */
  command?: string;
  /** Lab object id the current step concerns. */
  object?: string;
}

export interface ApplyOutcome {
  ok: boolean;
  /** Operations executed (0 for a no-op). */
  ran: number;
  durationMs: number;
  /** Shell text of every command run, in the order the waves started them (absent when none ran). */
  commands?: string[];
  error?: {
    code:
      | 'HostCommandFailed'
      | 'VerificationFailed'
      | 'RollbackFailed'
      | 'RecoveryRequired'
      | 'Conflict'
      | 'Unsupported'
      | 'InvalidLab';
    message: string;
    argv?: string[];
    object?: string;
    stderr?: string;
    rolledBack: boolean;
  };
}

export interface EngineOptions {
  /** Journal, lock file and applied-lab records live here. */
  stateDir: string;
  runner: CommandRunner;
  /**
   * `ip-batch` (default): batched iproute2 processes. `netlink`: the native netlink agent (fails to open when
   * the addon is not built). `auto`: netlink when available, else ip-batch.
   */
  driver?: 'ip-batch' | 'netlink' | 'auto';
}

export interface Engine {
  readonly mode: Mode;
  /**
   * Kernel features detected at open: netns, veth, bridge, each attached kind's probe key (kinds/), tbf,
   * htb, netem, bridgeVlan, nftables, wireguard.
   */
  capabilities(): Record<string, boolean>;
  /** Tool versions (iproute2, kernel). */
  versions(): Record<string, string>;
  /** Dry run: operations + equivalent shell script + plan-time errors. Changes nothing. */
  plan(lab: Lab): Promise<PlanResult>;
  /** Serialized with every other writer (in-process queue + lock file shared with the CLI). */
  apply(lab: Lab, onProgress?: (p: Progress) => void): Promise<ApplyOutcome>;
  /** Removes every object owned by this lab; touches nothing else. */
  destroy(labName: string, onProgress?: (p: Progress) => void): Promise<ApplyOutcome>;
  /**
   * Adoption (the one write path for discovery): runs the `link.setAlias` marker operations of an adopted
   * lab under the lock, journaled (a crash half-way is rolled back at the next open), after re-checking every
   * target on a fresh observation and through the host guard (server/engine/adoption.ts).
   */
  adopt(lab: Lab, ops: readonly Operation[], onProgress?: (p: Progress) => void): Promise<ApplyOutcome>;
  /** Rolls back an interrupted apply / clears a failed rollback. */
  recover(): Promise<ApplyOutcome>;
  /**
   * One status sample of `lab` against the host: per-object state, operstate, addresses, counters.
   * `appliedRevision` is supplied by the caller (the store knows revisions; the engine knows the host).
   */
  status(lab: Lab, revisions: { observed: number; applied: number | null }): Promise<LabStatus>;
  /**
   * One observation of the whole host (root + named namespaces, foreign objects included, by kernel name)
   * through the engine's observer: with the netlink driver, the cache kept current by kernel notifications.
   * Read-only. The result may be shared with other readers: never mutate it.
   */
  observe(): Promise<ObservedState>;
  /**
   * Drops what the engine keeps for a lab whose document was deleted or renamed away (its WireGuard keys),
   * so nothing of it is left behind and a new lab of that name starts fresh. Refused while it is applied.
   */
  forgetLab(labName: string): Promise<void>;
  /** The lab last applied successfully under this name (as recorded by the engine), if any. */
  appliedLab(labName: string): Promise<Lab | null>;
  /** Which driver runs operations (`ip-batch` or `netlink`). */
  driverName(): string;
  close(): Promise<void>;
}

/**
 * A throwaway world: a holder process in a private network + mount namespace (tmpfs on /run/netns; a user
 * namespace too when not root). Its runner enters it with nsenter for every command, so the caller (e.g.
 * the HTTP server) stays on the host's loopback while every kernel object lives inside.
 * Implemented in `server/engine/sandbox.ts` as `createSandbox(): Promise<Sandbox>`.
 */
export interface Sandbox {
  readonly runner: CommandRunner;
  /** PID of the holder process (its /proc/PID/ns/net is the sandbox's root network namespace). */
  readonly pid: number;
  /** Ends the holder; the kernel frees every namespace and interface inside. Idempotent. */
  close(): Promise<void>;
}

export type OpenEngine = (opts: EngineOptions) => Promise<Engine>; // server/engine/engine.ts: openEngine
export type CreateSandbox = () => Promise<Sandbox>; // server/engine/sandbox.ts: createSandbox
export type HostRunner = () => CommandRunner; // server/engine/runner.ts: hostRunner
