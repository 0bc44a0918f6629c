/**
 * Observer: how the engine reads the host. One interface, three implementations — `IpObserver` (here:
 * `ip -j -batch`, one process per namespace, partial re-reads of what an execute touched), and in netlink/
 * `NetlinkObserver` (one agent request per read) and `CachedObserver` (kept current by kernel
 * notifications). Every observation is typed (ObservedState); no decoder's text crosses this line.
 */
import type { CommandRunner } from './contract';
import type { ExecResult } from './driver';
import { type NetnsRead, readHost } from './observe';
import { touchedNamespaces } from './steps';
import type { AnyOpBody, NetnsRef, ObservedState } from './types';

export interface ObserveOpts {
  /** A status sample: fresh counters wanted. */
  counters?: boolean;
}

/** What an execute changed: the re-observation after it may reuse the rest of `base`. */
export interface AfterExecute {
  ops: readonly AnyOpBody[];
  /** The observation the operations were planned on. */
  base: ObservedState;
  /** What the driver read back after its last change (ip-batch only). */
  readBack?: Extract<ExecResult, { ok: true }>['observed'];
}

export interface Observer {
  readonly kind: 'ip' | 'netlink' | 'cached';
  /** A full observation of the host. */
  observe(opts?: ObserveOpts): Promise<ObservedState>;
  /** The host after an execute: what it touched read again (an observer may read everything). */
  reobserve(after: AfterExecute): Promise<ObservedState>;
  /** Told before a driver runs `count` operations. */
  beforeExecute?(count: number): Promise<void>;
}

/** How many recent observations keep their per-namespace reads for a partial re-observation. */
const KEEP = 4;

export class IpObserver implements Observer {
  readonly kind = 'ip';
  private recent: { state: ObservedState; reads: Map<NetnsRef, NetnsRead> }[] = [];

  constructor(private readonly runner: CommandRunner) {}

  observe(): Promise<ObservedState> {
    return this.read({});
  }

  /** Reads the root, the namespaces `ops` touched (and their veth neighbours); the rest comes from `base`. */
  reobserve({ ops, base, readBack }: AfterExecute): Promise<ObservedState> {
    const baseReads = this.recent.find((r) => r.state === base)?.reads;
    return this.read({
      ...(baseReads && { only: touchedNamespaces(ops), base, baseReads }),
      ...(readBack && { prefetched: readBack }),
    });
  }

  private async read(opts: Parameters<typeof readHost>[1]): Promise<ObservedState> {
    const r = await readHost(this.runner, opts);
    this.recent = [r, ...this.recent.slice(0, KEEP - 1)];
    return r.state;
  }
}
