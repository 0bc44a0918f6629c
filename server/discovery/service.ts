/**
 * Discovery over HTTP (mounted under /api, so token-protected like every API route):
 * - GET  /api/discovery[?mac=1]   → DiscoveryResponse: the host as a Lab + extras + kernel names/ownership
 * - GET  /api/discovery/script    → text/plain: the `ip` commands that would recreate the discovered topology
 * - POST /api/discovery/adopt     {labName, select: ids[], includeMac?} → creates the lab, marks the objects
 * - GET  /api/labs/:name/diff     → LabDiff: design vs last applied vs live host
 * Reads run directly (read-only); adopt runs in the server's operation queue (one writer at a time).
 * The live host view polls GET /api/discovery (a 200-namespace host reads in well under a second).
 * Engine modules are imported lazily, like serve.ts does: the HTTP layer does not load them statically.
 */
import express, { type Router } from 'express';
import * as z from 'zod';
import { type AdoptResponse, emptyLayout, LabName } from '../../shared';
import { labParam, parse } from '../api/request';
import type { CommandRunner, Engine } from '../engine/contract';
import { AppError } from '../errors';
import type { Logger } from '../log';
import type { OperationQueue } from '../ops/queue';
import type { LabStore } from '../store/labStore';

const lib = () => import('./lib');

export interface DiscoveryDeps {
  engine: Engine;
  store: LabStore;
  ops: OperationQueue;
  log: Logger;
  /** Runner of the world labs live in; without it every route answers Unsupported. */
  runner?: CommandRunner;
}

export const AdoptRequest = z.strictObject({
  labName: LabName,
  select: z.array(z.string().max(64)).min(1).max(20000),
  includeMac: z.boolean().optional(),
});

export class DiscoveryService {
  constructor(private readonly deps: DiscoveryDeps) {}

  private runner(): CommandRunner {
    if (!this.deps.runner) throw new AppError('Unsupported', 'host discovery is not available in this server');
    return this.deps.runner;
  }

  router(): Router {
    const { store, ops, engine } = this.deps;
    const r = express.Router();

    r.get('/discovery', async (req, res) => {
      const { discover, discoveryResponse, toLab } = await lib();
      const d = await discover(this.runner());
      res.json(discoveryResponse(d, toLab(d, { includeMac: req.query.mac === '1' })));
    });

    r.get('/discovery/script', async (req, res) => {
      const { discover, recreateScript, toLab } = await lib();
      const d = await discover(this.runner());
      res.type('text/plain; charset=utf-8').send(recreateScript(toLab(d, { includeMac: req.query.mac === '1' })));
    });

    r.post('/discovery/adopt', async (req, res) => {
      const body = parse(AdoptRequest, req.body);
      const runner = this.runner();
      const { adopt, discover } = await lib();
      if (await store.get(body.labName)) throw new AppError('Conflict', `a lab named "${body.labName}" already exists`);
      const out = await ops.run(async (): Promise<AdoptResponse> => {
        const d = await discover(runner);
        const a = adopt(d, body.select, body.labName, { includeMac: body.includeMac ?? false });
        if (a.refused.length)
          throw new AppError('Conflict', `cannot adopt: ${a.refused.map((x) => `${x.id}: ${x.message}`).join('; ')}`);
        if (!a.lab.nodes.length) throw new AppError('InvalidRequest', 'nothing to adopt');
        const doc = await store.create(a.lab, emptyLayout());
        // The engine's one write path: locked, journaled, re-checked on a fresh observation, host-guarded.
        const marked = await engine.adopt(a.lab, a.ops).catch(async (e) => {
          await store.delete(body.labName).catch(() => undefined);
          throw e;
        });
        if (!marked.ok) {
          await store.delete(body.labName).catch(() => undefined);
          const e = marked.error!;
          throw new AppError(e.code, `cannot adopt: ${e.message}`);
        }
        // Record it as applied when the host already matches (an empty plan changes nothing).
        let applied = false;
        const p = await engine.plan(a.lab);
        if (!p.errors.length && !p.operations.length) {
          const o = await engine.apply(a.lab);
          if (o.ok && o.ran === 0) {
            await store.setApplied(body.labName, doc.revision);
            applied = true;
          }
        }
        this.deps.log.info({ lab: body.labName, marked: marked.ran, applied }, 'adopted');
        return {
          lab: doc.lab,
          revision: doc.revision,
          marked: marked.ran,
          applied,
          added: a.added,
          residual: p.operations.map((o) => o.reason),
          warnings: a.warnings,
        };
      });
      res.status(201).location(`/api/labs/${body.labName}`).json(out);
    });

    r.get('/labs/:name/diff', async (req, res) => {
      const name = labParam(req);
      const doc = await store.require(name);
      const { diff, observe } = await lib();
      const [applied, live] = await Promise.all([engine.appliedLab(name), observe(this.runner())]);
      res.json(diff(doc.lab, applied, live));
    });

    return r;
  }
}
