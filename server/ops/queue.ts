/**
 * The one engine queue: apply/destroy/recover (and plans) run one at a time, in arrival order, so the server
 * never starts two engine calls that change or plan the host at once. Long operations get an id at once;
 * their progress and result are fanned out to listeners (the status hub forwards them to sockets) and kept
 * for `GET /api/operations/:id`. No HTTP here.
 */
import { randomUUID } from 'node:crypto';
import type { OperationResult } from '../../shared';
import type { ApplyOutcome, Progress } from '../engine/contract';
import type { Logger } from '../log';

export type Action = OperationResult['action'];

export type OperationEvent =
  | { type: 'progress'; operationId: string; lab: string; progress: Progress }
  | { type: 'result'; result: OperationResult };

export type OperationState =
  | { state: 'queued' | 'running'; operationId: string; lab: string; action: Action }
  | { state: 'done'; result: OperationResult };

const KEEP_RESULTS = 500;

export class OperationQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly ops = new Map<string, OperationState>();
  private readonly listeners = new Set<(e: OperationEvent) => void>();
  private pending = 0;
  private readonly log: Logger;

  constructor(log: Logger) {
    this.log = log;
  }

  onEvent(listener: (e: OperationEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Runs `fn` after every earlier queued call has finished (plans use this directly). */
  run<T>(fn: () => Promise<T>): Promise<T> {
    this.pending++;
    const p = this.tail.then(fn);
    this.tail = p.then(
      () => this.pending--,
      () => this.pending--,
    );
    return p;
  }

  /** Queues a long operation; returns its id immediately. The outcome never rejects: failures become results. */
  start(
    lab: string,
    action: Action,
    fn: (onProgress: (p: Progress) => void) => Promise<ApplyOutcome>,
    after?: (outcome: ApplyOutcome) => Promise<void>,
  ): string {
    const operationId = randomUUID();
    this.ops.set(operationId, { state: 'queued', operationId, lab, action });
    void this.run(async () => {
      this.ops.set(operationId, { state: 'running', operationId, lab, action });
      const t0 = performance.now();
      let result: OperationResult;
      try {
        const outcome = await fn((progress) => this.emit({ type: 'progress', operationId, lab, progress }));
        if (after) await after(outcome);
        result = {
          operationId,
          lab,
          action,
          ok: outcome.ok,
          ran: outcome.ran,
          durationMs: outcome.durationMs,
          ...(outcome.commands ? { commands: outcome.commands } : {}),
          ...(outcome.error ? { error: outcome.error } : {}),
        };
      } catch (e) {
        // An exception is not a classified engine outcome: report a bug, never its text or stack.
        this.log.error({ err: e, lab, action, operationId }, 'operation threw');
        result = {
          operationId,
          lab,
          action,
          ok: false,
          ran: 0,
          durationMs: performance.now() - t0,
          error: { code: 'Bug', message: 'internal error (see the server log)', rolledBack: false },
        };
      }
      this.ops.set(operationId, { state: 'done', result });
      this.trim();
      this.log.info(
        { operationId, lab, action, ok: result.ok, ran: result.ran, ms: Math.round(result.durationMs) },
        'operation done',
      );
      this.emit({ type: 'result', result });
    });
    return operationId;
  }

  /** True while an operation on `lab` is queued or running. */
  busy(lab: string): boolean {
    for (const s of this.ops.values()) if (s.state !== 'done' && s.lab === lab) return true;
    return false;
  }

  get(operationId: string): OperationState | undefined {
    return this.ops.get(operationId);
  }

  /** Resolves when everything queued so far has finished (shutdown). */
  async idle(): Promise<void> {
    while (this.pending > 0) await this.tail.catch(() => undefined);
  }

  private emit(e: OperationEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.log.error({ err }, 'operation listener failed');
      }
    }
  }

  private trim(): void {
    if (this.ops.size <= KEEP_RESULTS) return;
    for (const [id, s] of this.ops) {
      if (this.ops.size <= KEEP_RESULTS) break;
      if (s.state === 'done') this.ops.delete(id);
    }
  }
}
