/**
 * An in-memory Engine for server tests: no host, no processes. Records every call (and start/end order, to
 * prove serialization), reports progress per fake operation, and derives status from what was "applied".
 * Tests can inject drift (`setState`) and failures (`failNext`).
 */
import type { Lab, LabStatus, Mode, ObjectState, ObjectStatus, PlanResult } from '../../shared';
import { endpointKey } from '../../shared';
import type { ApplyOutcome, Engine, Progress } from '../engine/contract';
import { desiredState } from '../engine/desired';
import { parseMarker } from '../engine/marker';
import type { ObservedState, Operation } from '../engine/types';

export interface FakeCall {
  method: 'plan' | 'apply' | 'destroy' | 'adopt' | 'recover' | 'status' | 'appliedLab' | 'forgetLab';
  lab?: string;
}

export interface FakeEngineOptions {
  mode?: Mode;
  /** Time each fake host operation takes (ms). */
  stepMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class FakeEngine implements Engine {
  readonly mode: Mode;
  readonly calls: FakeCall[] = [];
  /** "start:apply:lab" / "end:apply:lab" in the order they happened. */
  readonly events: string[] = [];
  /** Highest number of apply/destroy/recover/plan calls ever running at once. */
  maxConcurrent = 0;
  stepMs: number;
  private running = 0;
  private readonly applied = new Map<string, Lab>();
  private readonly overrides = new Map<string, ObjectState>();
  private samples = 0;
  private failure: NonNullable<ApplyOutcome['error']> | null = null;

  constructor(opts: FakeEngineOptions = {}) {
    this.mode = opts.mode ?? 'sandbox';
    this.stepMs = opts.stepMs ?? 5;
  }

  /** Calls that could change or plan the host (everything except status/appliedLab reads). */
  get mutatingCalls(): FakeCall[] {
    return this.calls.filter((c) => c.method !== 'status' && c.method !== 'appliedLab' && c.method !== 'forgetLab');
  }
  callCount(method?: FakeCall['method']): number {
    return method ? this.calls.filter((c) => c.method === method).length : this.calls.length;
  }

  /** Make an object of `lab` report `state` (drift by hand), or clear it with null. */
  setState(lab: string, id: string, state: ObjectState | null): void {
    if (state === null) this.overrides.delete(`${lab}/${id}`);
    else this.overrides.set(`${lab}/${id}`, state);
  }
  failNext(error: NonNullable<ApplyOutcome['error']>): void {
    this.failure = error;
  }
  isApplied(lab: string): boolean {
    return this.applied.has(lab);
  }

  driverName(): string {
    return 'fake';
  }
  capabilities(): Record<string, boolean> {
    return { netns: true, veth: true, bridge: true, netem: false };
  }
  versions(): Record<string, string> {
    return { iproute2: 'fake', kernel: 'fake' };
  }

  async plan(lab: Lab): Promise<PlanResult> {
    return this.track('plan', lab.name, async () => {
      const ops = this.ops(lab);
      return {
        lab: lab.name,
        operations: ops.map((o, index) => ({
          index,
          kind: o.kind,
          object: o.object,
          netns: null,
          reason: 'missing on the host',
          argv: o.argv,
          inverseArgv: null,
        })),
        script: ops.map((o) => o.argv.join(' ')).join('\n'),
        errors: [],
      };
    });
  }

  async apply(lab: Lab, onProgress?: (p: Progress) => void): Promise<ApplyOutcome> {
    return this.track('apply', lab.name, async () => {
      const t0 = performance.now();
      const ops = this.applied.has(lab.name) ? [] : this.ops(lab);
      const total = ops.length;
      for (const [k, o] of ops.entries()) {
        onProgress?.({ phase: 'execute', step: k + 1, total, command: o.argv.join(' '), object: o.object });
        await sleep(this.stepMs);
      }
      const failure = this.takeFailure();
      if (failure) return { ok: false, ran: 0, durationMs: performance.now() - t0, error: failure };
      onProgress?.({ phase: 'done', step: total, total });
      this.applied.set(lab.name, lab);
      return { ok: true, ran: total, durationMs: performance.now() - t0 };
    });
  }

  async destroy(labName: string, onProgress?: (p: Progress) => void): Promise<ApplyOutcome> {
    return this.track('destroy', labName, async () => {
      const t0 = performance.now();
      const lab = this.applied.get(labName);
      const n = lab ? lab.nodes.length + lab.links.length : 0;
      for (let k = 0; k < n; k++) {
        onProgress?.({ phase: 'execute', step: k + 1, total: n });
        await sleep(this.stepMs);
      }
      this.applied.delete(labName);
      return { ok: true, ran: n, durationMs: performance.now() - t0 };
    });
  }

  async adopt(lab: Lab, ops: readonly Operation[]): Promise<ApplyOutcome> {
    return this.track('adopt', lab.name, async () => ({ ok: true, ran: ops.length, durationMs: 0 }));
  }

  async recover(): Promise<ApplyOutcome> {
    return this.track('recover', undefined, async () => ({ ok: true, ran: 0, durationMs: 0 }));
  }

  async status(lab: Lab, revisions: { observed: number; applied: number | null }): Promise<LabStatus> {
    this.calls.push({ method: 'status', lab: lab.name });
    this.samples++;
    const on = this.applied.has(lab.name);
    const objects: Record<string, ObjectStatus> = {};
    const put = (id: string, extra: Partial<ObjectStatus> = {}) => {
      const state = this.overrides.get(`${lab.name}/${id}`) ?? (on ? 'ready' : 'absent');
      objects[id] = { id, state, conditions: [], ...(state === 'ready' ? extra : {}) };
    };
    for (const n of lab.nodes) put(n.id);
    for (const l of lab.links) {
      put(l.id);
      for (const end of [0, 1] as const)
        put(endpointKey(l.id, end), {
          operstate: 'UP',
          counters: {
            rxBytes: this.samples * 1000,
            txBytes: this.samples * 500,
            rxPackets: this.samples,
            txPackets: this.samples,
          },
        });
    }
    return {
      lab: lab.name,
      observedRevision: revisions.observed,
      appliedRevision: revisions.applied,
      at: new Date().toISOString(),
      objects,
    };
  }

  /**
   * What observe() returns when a test sets one; otherwise the objects of the applied labs, each with its
   * marker (namespaces, bridges, veth ends: from desiredState), as a real host would show them.
   */
  observation: ObservedState | null = null;

  async observe(): Promise<ObservedState> {
    if (this.observation) return this.observation;
    const st: ObservedState = { root: { name: null, marker: null, links: [], routes: [] }, namespaces: {} };
    let ifindex = 1;
    for (const lab of this.applied.values()) {
      const d = desiredState(lab);
      for (const ns of d.namespaces)
        st.namespaces[ns.name] = { name: ns.name, marker: parseMarker(ns.marker), links: [], routes: [] };
      for (const i of d.ifaces) {
        const ns = i.netns === null ? st.root : st.namespaces[i.netns];
        ns?.links.push({
          netns: i.netns,
          ifindex: ifindex++,
          ifname: i.ifname,
          kind: i.kind,
          alias: i.marker,
          marker: parseMarker(i.marker),
          adminUp: i.up,
          operstate: 'UP',
          mtu: i.mtu ?? 1500,
          addresses: i.addresses,
        });
      }
    }
    return st;
  }

  async forgetLab(labName: string): Promise<void> {
    this.calls.push({ method: 'forgetLab', lab: labName });
    if (this.applied.has(labName)) throw new Error(`lab '${labName}' is applied on the host`);
  }

  async appliedLab(labName: string): Promise<Lab | null> {
    this.calls.push({ method: 'appliedLab', lab: labName });
    return this.applied.get(labName) ?? null;
  }

  async close(): Promise<void> {}

  private takeFailure() {
    const f = this.failure;
    this.failure = null;
    return f;
  }

  private ops(lab: Lab): { kind: string; object: string; argv: string[] }[] {
    return [
      ...lab.nodes.map((n) => ({
        kind: n.kind === 'bridge' ? 'bridge.create' : 'netns.create',
        object: n.id,
        argv: n.kind === 'host' ? ['true'] : ['ip', n.kind === 'bridge' ? 'link' : 'netns', 'add', n.name],
      })),
      ...lab.links.map((l) => ({
        kind: 'veth.create',
        object: l.id,
        argv: ['ip', 'link', 'add', l.endpoints[0].ifname, 'type', 'veth', 'peer', 'name', l.endpoints[1].ifname],
      })),
    ];
  }

  private async track<T>(method: FakeCall['method'], lab: string | undefined, fn: () => Promise<T>): Promise<T> {
    this.calls.push({ method, ...(lab !== undefined ? { lab } : {}) });
    this.running++;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.running);
    this.events.push(`start:${method}:${lab ?? '*'}`);
    try {
      return await fn();
    } finally {
      this.events.push(`end:${method}:${lab ?? '*'}`);
      this.running--;
    }
  }
}
