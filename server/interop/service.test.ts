/** /api/interop/import and /api/labs/:name/export/containerlab over real HTTP (fake engine). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { InteropExportResponse, InteropImportResponse } from '../../shared';
import { startTestServer, type TestServer } from '../testing/harness';
import { fixture } from './testing';

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => {
  await srv.stop();
});

describe('interop HTTP', () => {
  it('imports a containerlab file: 201, stored, the report; the same file again gets the next free name', async () => {
    const text = fixture('exec.clab.yml');
    const r = await srv.api('POST', '/api/interop/import', { text, filename: 'exec.clab.yml' });
    expect(r.status, r.text).toBe(201);
    const body = InteropImportResponse.parse(r.json);
    expect(body.lab.name).toBe('exec-things');
    expect(body.revision).toBe(1);
    expect(body.report.counts.imported + body.report.counts.approximated).toBeGreaterThan(5);
    expect((await srv.api('GET', '/api/labs/exec-things')).status).toBe(200);
    const again = await srv.api('POST', '/api/interop/import', { text, filename: 'exec.clab.yml' });
    expect(again.status).toBe(201);
    expect(again.json.lab.name).toBe('exec-things-2');
    expect(JSON.stringify(again.json.report)).toContain('exec-things-2');
  });

  it('a preview (save: false) stores nothing', async () => {
    const r = await srv.api('POST', '/api/interop/import', { text: fixture('links.clab.yml'), save: false });
    expect(r.status).toBe(200);
    expect(r.json.revision).toBeUndefined();
    expect((await srv.api('GET', '/api/labs/links')).status).toBe(404);
  });

  it('refusals: a Go template is 422 naming the construct; bad YAML 400; the server env is never used', async () => {
    const t = await srv.api('POST', '/api/interop/import', {
      text: 'name: x\n{{ range . }}\n',
      filename: 't.clab.yml',
    });
    expect(t.status).toBe(422);
    expect(t.json.code).toBe('Unsupported');
    expect(t.json.issues[0].code).toBe('go-template');
    expect((await srv.api('POST', '/api/interop/import', { text: 'name: [' })).status).toBe(400);
    process.env.NETLOOM_TEST_NIC = 'secret0';
    const e = await srv.api('POST', '/api/interop/import', {
      text: 'name: envtest\ntopology:\n  nodes:\n    a: {kind: linux}\n  links:\n    - endpoints: ["a:e1", "macvlan:${NETLOOM_TEST_NIC:=ens3}"]\n',
      save: false,
    });
    expect(JSON.stringify(e.json.lab)).not.toContain('secret0');
    expect(JSON.stringify(e.json.lab)).toContain('ens3');
  });

  it('a CORE scenario is detected', async () => {
    const r = await srv.api('POST', '/api/interop/import', {
      text: fixture('core-impairments.xml'),
      filename: 'hand.xml',
    });
    expect(r.status, r.text).toBe(201);
    expect(r.json.report.format).toBe('core');
  });

  it('exports a stored lab as containerlab that imports back to it', async () => {
    const r = await srv.api('GET', '/api/labs/exec-things/export/containerlab');
    expect(r.status).toBe(200);
    const body = InteropExportResponse.parse(r.json);
    expect(body.filename).toBe('exec-things.clab.yml');
    const doc = parse(body.text);
    expect(doc.topology.nodes.sw.kind).toBe('linux');
    expect((await srv.api('GET', '/api/labs/nope/export/containerlab')).status).toBe(404);
  });
});
