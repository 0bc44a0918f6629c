/**
 * Lab management routes beside the core ones (mounted under /api by routes.ts): the names already in use
 * (so the canvas proposes free ones), renaming and duplicating a lab. Parses with the shared schemas; the
 * host is only read, through the observer it is given. No kernel knowledge here.
 * - GET  /api/names?lab=NAME            → NamesInUse: every other lab's, and the host's, minus NAME's own
 * - POST /api/labs/:name/rename    {to} → LabDocument of the renamed lab (refused while it is applied)
 * - POST /api/labs/:name/duplicate {to} → 201 LabDocument of the copy (never applied)
 */
import express, { type Router } from 'express';
import { type Lab, type LabDocument, LabName, LabTransferRequest, type NamesInUse } from '../../shared';
import type { Engine } from '../engine/contract';
import type { ObservedState } from '../engine/types';
import { AppError } from '../errors';
import type { OperationQueue } from '../ops/queue';
import type { LabStore, StoredLab } from '../store/labStore';
import { labParam, parse } from './request';

export interface LabManagementDeps {
  store: LabStore;
  engine: Engine;
  ops: OperationQueue;
  /** Reads the host (the world labs live in); absent = names come from the stored labs alone. */
  observe?: () => Promise<ObservedState>;
}

const documentOf = (d: StoredLab): LabDocument => ({ lab: d.lab, layout: d.layout, revision: d.revision });

/** Names a lab puts where every lab shares them: its namespaces, and interfaces of the root namespace. */
function namesOf(lab: Lab, into: { namespaces: Set<string>; rootInterfaces: Set<string> }): void {
  const root = new Set<string>();
  for (const n of lab.nodes) {
    if (n.kind === 'namespace') into.namespaces.add(n.name);
    else if (n.kind === 'host') root.add(n.id);
    else if (n.namespace === undefined) {
      root.add(n.id);
      into.rootInterfaces.add(n.name);
    }
  }
  // A veth end on the host node or on a bridge of the root namespace lives in the root namespace.
  for (const l of lab.links) for (const e of l.endpoints) if (root.has(e.node)) into.rootInterfaces.add(e.ifname);
}

export function labManagementRouter(deps: LabManagementDeps): Router {
  const { store, engine, ops } = deps;
  const r = express.Router();

  /** Refuses to move a lab its host objects still name (their markers carry the lab name). */
  const movable = async (name: string): Promise<StoredLab> => {
    const doc = await store.require(name);
    if (ops.busy(name)) throw new AppError('Conflict', `an operation on lab "${name}" is still running`);
    if (doc.appliedRevision !== null || (await engine.appliedLab(name)))
      throw new AppError(
        'Conflict',
        `lab "${name}" is applied on the host; destroy it first (its objects carry its name)`,
      );
    return doc;
  };

  r.get('/names', async (req, res) => {
    const mine = typeof req.query.lab === 'string' && LabName.safeParse(req.query.lab).success ? req.query.lab : null;
    const out = { namespaces: new Set<string>(), rootInterfaces: new Set<string>() };
    for (const name of await store.names()) {
      if (name === mine) continue;
      const doc = await store.getShared(name);
      if (doc) namesOf(doc.lab, out);
    }
    if (deps.observe) {
      const host = await deps.observe();
      // What this lab itself created is its own to reuse; everything else on the host is taken.
      const ours = (m: { lab: string } | null | undefined) => mine !== null && m?.lab === mine;
      for (const [name, ns] of Object.entries(host.namespaces)) if (!ours(ns.marker)) out.namespaces.add(name);
      for (const l of host.root.links) if (!ours(l.marker)) out.rootInterfaces.add(l.ifname);
    }
    const body: NamesInUse = { namespaces: [...out.namespaces].sort(), rootInterfaces: [...out.rootInterfaces].sort() };
    res.json(body);
  });

  r.post('/labs/:name/rename', async (req, res) => {
    const name = labParam(req);
    const { to, title } = parse(LabTransferRequest, req.body);
    if (to === name && title === undefined) {
      res.json(documentOf(await store.require(name)));
      return;
    }
    if (to === name) {
      const cur = await store.require(name);
      const doc = await store.update(name, { baseRevision: cur.revision, lab: { ...cur.lab, title } });
      res.json(documentOf(doc));
      return;
    }
    const doc = await movable(name);
    const created = await store.create({ ...doc.lab, name: to, ...(title !== undefined && { title }) }, doc.layout);
    await store.delete(name);
    await engine.forgetLab(name); // keys follow the name: the renamed lab gets its own on first need
    res.json(documentOf(created));
  });

  r.post('/labs/:name/duplicate', async (req, res) => {
    const name = labParam(req);
    const { to, title } = parse(LabTransferRequest, req.body);
    const doc = await store.require(name);
    const lab: Lab = { ...structuredClone(doc.lab), name: to };
    if (title !== undefined) lab.title = title;
    const created = await store.create(lab, structuredClone(doc.layout));
    res.status(201).location(`/api/labs/${to}`).json(documentOf(created));
  });

  return r;
}
