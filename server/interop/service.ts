/**
 * HTTP surface of the importers/exporter: POST /api/interop/import (convert, and store unless
 * `save: false`) and GET /api/labs/:name/export/containerlab. Refusals become 400/413/422 through
 * AppError; the server's own environment never reaches `${VAR}` substitution.
 */
import express, { type Router } from 'express';
import {
  emptyLayout,
  type InteropExportResponse,
  InteropImportRequest,
  type InteropImportResponse,
} from '../../shared';
import { labParam, parse } from '../api/request';
import { AppError } from '../errors';
import { checkLab } from '../store/labFiles';
import type { LabStore } from '../store/labStore';
import { exportContainerlab, ImportRefused, importTopology } from './index';

export function interopRouter(deps: { store: LabStore }): Router {
  const r = express.Router();

  r.post('/interop/import', async (req, res) => {
    const body = parse(InteropImportRequest, req.body);
    let result: ReturnType<typeof importTopology>;
    try {
      result = importTopology(body.text, {
        ...(body.filename ? { filename: body.filename } : {}),
        ...(body.from ? { from: body.from } : {}),
        ...(body.name ? { name: body.name } : {}),
        env: body.env ?? {},
      });
    } catch (e) {
      if (!(e instanceof ImportRefused)) throw e;
      const code = e.kind === 'too-large' ? 'PayloadTooLarge' : e.kind === 'syntax' ? 'InvalidLab' : 'Unsupported';
      throw new AppError(code, `${body.filename ?? 'the file'} cannot be imported: ${e.message}`, [
        { path: [], message: e.message, severity: 'error', code: e.construct },
      ]);
    }
    const checked = checkLab(result.lab, result.layout ?? emptyLayout());
    if (!body.save) {
      const preview: InteropImportResponse = { lab: checked.lab, layout: checked.layout, report: result.report };
      res.json(preview);
      return;
    }
    // Importing the same file twice gives a second lab, never a 409: the next free name, said in the report.
    let lab = checked.lab;
    if (!body.name && (await deps.store.get(lab.name))) {
      const base = lab.name.slice(0, 28);
      let n = 2;
      while (await deps.store.get(`${base}-${n}`)) n++;
      lab = { ...lab, name: `${base}-${n}` };
      result.report.items.push({
        kind: 'lab',
        source: 'file',
        status: 'imported',
        notes: [{ effect: 'info', text: `a lab "${checked.lab.name}" exists already: this one is "${lab.name}"` }],
      });
      result.report.lab = lab.name;
    }
    const doc = await deps.store.create(lab, checked.layout);
    const out: InteropImportResponse = {
      lab: doc.lab,
      layout: doc.layout,
      revision: doc.revision,
      report: result.report,
    };
    res.status(201).location(`/api/labs/${doc.lab.name}`).json(out);
  });

  r.get('/labs/:name/export/containerlab', async (req, res) => {
    const name = labParam(req);
    const { lab, layout } = await deps.store.require(name);
    const { text, notes } = exportContainerlab(lab, layout);
    const body: InteropExportResponse = { filename: `${name}.clab.yml`, text, notes };
    res.json(body);
  });

  return r;
}
