/**
 * /api routes: thin handlers that parse requests with the shared schemas, call the store, the queue and the
 * engine, and answer with the shared response shapes. Errors are thrown as AppError and mapped to HTTP in
 * errors.ts. No kernel knowledge here.
 */
import express, { type Request, type Response, type Router } from 'express';
import { stringify as toYaml } from 'yaml';
import type { z } from 'zod';
import {
  CreateLabRequest,
  type ExampleSummary,
  ExportFormat,
  ImportLabRequest,
  type InfoResponse,
  type LabDocument,
  type Mode,
  OperationRequest,
  UpdateLabRequest,
} from '../../shared';
import type { Engine } from '../engine/contract';
import { AppError } from '../errors';
import { interopRouter } from '../interop/service';
import type { OperationQueue } from '../ops/queue';
import { type CheckedLab, checkLab, checkLabFileData, type Example, parseLabTextAsync } from '../store/labFiles';
import type { LabStore, StoredLab } from '../store/labStore';
import type { ToolsService } from '../tools/service';
import { labParam, parse } from './request';
import type { Security } from './security';

export interface ApiDeps {
  engine: Engine;
  store: LabStore;
  ops: OperationQueue;
  security: Security;
  mode: Mode;
  version: string;
  examples: Example[];
  defaultLab?: string;
  /** Live tools (exec, path, reachability); absent = those routes answer 404. */
  tools?: ToolsService;
  /** Host discovery, adopt and three-way diff (server/discovery); absent = those routes answer 404. */
  discovery?: { router(): Router };
  /** Exercises and live grading (server/exercise); absent = those routes answer 404. */
  exercises?: { router(): Router };
  /** Names in use, rename and duplicate (api/labManagement.ts); absent = those routes answer 404. */
  labManagement?: Router;
}

const documentOf = (d: StoredLab): LabDocument => ({ lab: d.lab, layout: d.layout, revision: d.revision });

export function apiRouter(deps: ApiDeps): Router {
  const { engine, store, ops } = deps;
  const r = express.Router();

  r.get('/info', (_req, res) => {
    const info: InfoResponse = {
      mode: deps.mode,
      version: deps.version,
      capabilities: engine.capabilities(),
      versions: engine.versions(),
      driver: engine.driverName(),
      ...(deps.defaultLab ? { defaultLab: deps.defaultLab } : {}),
    };
    res.json(info);
  });

  // ---- labs ----
  r.get('/labs', async (_req, res) => {
    res.json({ labs: await store.list() });
  });

  r.post('/labs', async (req, res) => {
    const body = parse(CreateLabRequest, req.body);
    const checked = checkLab(body.lab, body.layout);
    await created(res, await store.create(checked.lab, checked.layout));
  });

  r.post('/labs/import', async (req, res) => {
    const body = parse(ImportLabRequest, req.body);
    const checked: CheckedLab = checkLabFileData(await parseLabTextAsync(body.text, body.format));
    await created(res, await store.create(checked.lab, checked.layout));
  });

  r.get('/labs/:name', async (req, res) => {
    res.json(documentOf(await store.require(labParam(req))));
  });

  r.put('/labs/:name', async (req, res) => {
    const name = labParam(req);
    const body = parse(UpdateLabRequest, req.body);
    // `lab` omitted = layout-only edit; otherwise the whole lab is checked again.
    const lab = body.lab === undefined ? undefined : checkLab(body.lab).lab;
    const layout =
      body.layout === undefined ? undefined : checkLab(lab ?? (await store.require(name)).lab, body.layout).layout;
    const doc = await store.update(name, {
      baseRevision: body.baseRevision,
      ...(lab ? { lab } : {}),
      ...(layout ? { layout } : {}),
    });
    res.json(documentOf(doc));
  });

  r.delete('/labs/:name', async (req, res) => {
    const name = labParam(req);
    const doc = await store.require(name);
    if (ops.busy(name)) throw new AppError('Conflict', `an operation on lab "${name}" is still running`);
    if (doc.appliedRevision !== null || (await engine.appliedLab(name)))
      throw new AppError('Conflict', `lab "${name}" is applied on the host; destroy it first`);
    await store.delete(name);
    await engine.forgetLab(name); // its WireGuard keys: a deleted lab leaves nothing behind
    res.status(204).end();
  });

  r.get('/labs/:name/export', async (req, res) => {
    const name = labParam(req);
    const format = parse(ExportFormat, typeof req.query.format === 'string' ? req.query.format : undefined);
    const { lab } = await store.require(name);
    const text = format === 'yaml' ? toYaml(lab) : `${JSON.stringify(lab, null, 2)}\n`;
    res.setHeader(
      'Content-Type',
      format === 'yaml' ? 'application/yaml; charset=utf-8' : 'application/json; charset=utf-8',
    );
    res.setHeader('Content-Disposition', `attachment; filename="${name}.${format}"`);
    res.send(text);
  });

  // ---- operations ----
  /** Stored lab, checked again with today's rules: an invalid lab reaches no engine call. */
  const runnable = async (name: string, body: unknown): Promise<StoredLab> => {
    const { baseRevision } = parse(OperationRequest, body ?? {});
    const doc = await store.require(name);
    if (baseRevision !== undefined && baseRevision !== doc.revision)
      throw new AppError('Conflict', `lab "${name}" is at revision ${doc.revision}, not ${baseRevision}`);
    checkLab(doc.lab);
    return doc;
  };

  r.post('/labs/:name/plan', async (req, res) => {
    const doc = await runnable(labParam(req), req.body);
    res.json(await ops.run(() => engine.plan(doc.lab)));
  });

  r.post('/labs/:name/apply', async (req, res) => {
    const name = labParam(req);
    const doc = await runnable(name, req.body);
    const operationId = ops.start(
      name,
      'apply',
      (onProgress) => engine.apply(doc.lab, onProgress),
      async (outcome) => {
        if (outcome.ok) await store.setApplied(name, doc.revision);
      },
    );
    res.status(202).json({ operationId });
  });

  r.post('/labs/:name/destroy', async (req, res) => {
    const name = labParam(req);
    // No stored lab needed: destroying what the engine recorded under a name is always allowed.
    const operationId = ops.start(
      name,
      'destroy',
      (onProgress) => engine.destroy(name, onProgress),
      async (outcome) => {
        if (outcome.ok) await store.setApplied(name, null);
      },
    );
    res.status(202).json({ operationId });
  });

  r.post('/recover', (_req, res) => {
    const operationId = ops.start('*', 'recover', () => engine.recover());
    res.status(202).json({ operationId });
  });

  r.get('/operations/:id', (req, res) => {
    const s = ops.get(String(req.params.id));
    if (!s) throw new AppError('NotFound', 'no such operation');
    if (s.state === 'done') res.json(s.result);
    else
      res.json({
        state: 'running',
        queued: s.state === 'queued',
        operationId: s.operationId,
        lab: s.lab,
        action: s.action,
      });
  });

  // ---- examples ----
  r.get('/examples', (_req, res) => {
    const examples: z.infer<typeof ExampleSummary>[] = deps.examples.map(({ file, name, title, description }) => ({
      file,
      name,
      title,
      description,
    }));
    res.json({ examples });
  });

  r.post('/examples/:file/open', async (req, res) => {
    const ex = deps.examples.find((e) => e.file === req.params.file);
    if (!ex) throw new AppError('NotFound', 'no such example');
    const existing = await store.get(ex.name);
    if (existing) {
      res.json(documentOf(existing));
      return;
    }
    await created(res, await store.create(ex.lab, ex.layout));
  });

  // ---- live tools ----
  if (deps.tools) r.use(deps.tools.router());

  // ---- discovery (host view, adopt, diff) ----
  if (deps.discovery) r.use(deps.discovery.router());

  // ---- import/export of containerlab and CORE topologies (server/interop) ----
  r.use(interopRouter({ store }));
  // ---- exercises (catalogue, start, reset, live grade) ----
  if (deps.exercises) r.use(deps.exercises.router());
  // ---- lab management (names in use, rename, duplicate) ----
  if (deps.labManagement) r.use(deps.labManagement);

  r.use((_req: Request, _res: Response) => {
    throw new AppError('NotFound', 'no such API route');
  });
  return r;
}

async function created(res: Response, doc: StoredLab): Promise<void> {
  res.status(201).location(`/api/labs/${doc.lab.name}`).json(documentOf(doc));
}
