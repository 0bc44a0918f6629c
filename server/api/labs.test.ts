import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { LabDocument, type LabInput, ListExamplesResponse, ListLabsResponse } from '../../shared';
import { silentLogger } from '../log';
import { loadExamples } from '../store/labFiles';
import { startTestServer, type TestServer } from '../testing/harness';
import { makeVethPairLab } from '../testing/labs';

let s: TestServer;
beforeAll(async () => {
  const examples = await loadExamples(new URL('../../examples', import.meta.url).pathname, silentLogger());
  s = await startTestServer({ examples });
});
afterAll(() => s.stop());

describe('bad input changes nothing', () => {
  it('a shell metacharacter in a namespace name → 400 naming the path, zero engine calls, nothing stored', async () => {
    const lab = makeVethPairLab('evil');
    (lab.nodes[0] as { name: string }).name = 'a;rm -rf /';
    const before = s.engine.calls.length;
    const r = await s.api('POST', '/api/labs', { lab });
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('InvalidLab');
    expect(r.json.issues).toContainEqual(expect.objectContaining({ path: ['nodes', 0, 'name'] }));
    expect(r.json.message).toContain('nodes[0].name');
    expect(s.engine.calls.length).toBe(before);
    expect((await s.api('GET', '/api/labs/evil')).status).toBe(404);
  });

  type Mutate = (l: LabInput) => void;
  const cases: [string, Mutate, (string | number)[]][] = [
    [
      'interface name with $( )',
      (l) => {
        (l.links[0]!.endpoints[0] as { ifname: string }).ifname = 'a$(id)';
      },
      ['links', 0, 'endpoints', 0, 'ifname'],
    ],
    [
      'leading dash',
      (l) => {
        (l.nodes[1] as { name: string }).name = '-x';
      },
      ['nodes', 1, 'name'],
    ],
    [
      'keyword',
      (l) => {
        (l.nodes[1] as { name: string }).name = 'dev';
      },
      ['nodes', 1, 'name'],
    ],
    [
      'unknown field',
      (l) => {
        Object.assign(l.nodes[0]!, { shell: 'x' });
      },
      ['nodes', 0, 'shell'],
    ],
    [
      'backtick in an address',
      (l) => {
        (l.links[0]!.endpoints[1] as { addresses: string[] }).addresses = ['`id`'];
      },
      ['links', 0, 'endpoints', 1, 'addresses', 0],
    ],
  ];
  it.each(cases)('%s → 400 at its path, zero engine calls', async (_what, mutate, path) => {
    const lab = makeVethPairLab('bad');
    mutate(lab);
    const before = s.engine.calls.length;
    const r = await s.api('POST', '/api/labs', { lab });
    expect(r.status).toBe(400);
    expect(r.json.issues.map((i: { path: unknown }) => i.path)).toContainEqual(path);
    expect(s.engine.calls.length).toBe(before);
  });

  it('a __proto__ key is refused', async () => {
    const text = `{"lab":{"version":1,"name":"proto","nodes":[],"links":[],"__proto__":{"x":1}}}`;
    const r = await s.api('POST', '/api/labs', text);
    expect(r.status).toBe(400);
  });

  it('a request body with unknown keys → 400 InvalidRequest', async () => {
    const r = await s.api('POST', '/api/labs', { lab: makeVethPairLab('x1'), extra: true });
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('InvalidRequest');
  });

  it('an invalid lab name in the URL → 400', async () => {
    expect((await s.api('GET', '/api/labs/..%2Fetc')).status).toBe(400);
    expect((await s.api('GET', '/api/labs/A_B')).status).toBe(400);
  });
});

describe('lab CRUD', () => {
  it('create → get → update → stale 409 → layout-only update → delete', async () => {
    const lab = makeVethPairLab('crud');
    const c = await s.api('POST', '/api/labs', { lab });
    expect(c.status).toBe(201);
    const doc = LabDocument.parse(c.json);
    expect(doc.revision).toBe(1);
    expect(doc.lab.nodes[0]).toMatchObject({ forwarding: false, routes: [] }); // defaults filled in

    expect((await s.api('POST', '/api/labs', { lab })).status).toBe(409);

    const g = await s.api('GET', '/api/labs/crud');
    expect(g.status).toBe(200);
    expect(LabDocument.parse(g.json)).toEqual(doc);

    const list = ListLabsResponse.parse((await s.api('GET', '/api/labs')).json);
    expect(list.labs.find((l) => l.name === 'crud')).toMatchObject({
      revision: 1,
      appliedRevision: null,
      nodes: 2,
      links: 1,
    });

    const edited = { ...doc.lab, title: 'edited' };
    const u = await s.api('PUT', '/api/labs/crud', { lab: edited, baseRevision: 1 });
    expect(u.status).toBe(200);
    expect(u.json.revision).toBe(2);
    expect(u.json.lab.title).toBe('edited');

    const stale = await s.api('PUT', '/api/labs/crud', { lab: { ...doc.lab, title: 'lost' }, baseRevision: 1 });
    expect(stale.status).toBe(409);
    expect(stale.json.code).toBe('Conflict');
    expect((await s.api('GET', '/api/labs/crud')).json.lab.title).toBe('edited');

    const layout = { version: 1, positions: { red: { x: 10, y: 20 } }, notes: [] };
    const l = await s.api('PUT', '/api/labs/crud', { lab: edited, layout, baseRevision: 2 });
    expect(l.status).toBe(200);
    expect(l.json).toMatchObject({ revision: 3, layout: { positions: { red: { x: 10, y: 20 } } } });
    expect(s.engine.mutatingCalls).toHaveLength(0); // moving nodes never touches the host

    const badLayout = await s.api('PUT', '/api/labs/crud', {
      layout: { version: 1, positions: { red: { x: 'a' } } },
      baseRevision: 3,
    });
    expect(badLayout.status).toBe(400);

    const renamed = await s.api('PUT', '/api/labs/crud', { lab: { ...edited, name: 'other' }, baseRevision: 3 });
    expect(renamed.status).toBe(400);

    expect(s.engine.calls.filter((c) => c.method === 'forgetLab')).toHaveLength(0);
    expect((await s.api('DELETE', '/api/labs/crud')).status).toBe(204);
    // What the engine keeps for the lab (its WireGuard keys) goes with it.
    expect(s.engine.calls.filter((c) => c.method === 'forgetLab')).toEqual([{ method: 'forgetLab', lab: 'crud' }]);
    expect((await s.api('GET', '/api/labs/crud')).status).toBe(404);
    expect((await s.api('DELETE', '/api/labs/crud')).status).toBe(404);
    expect((await s.api('PUT', '/api/labs/crud', { lab: edited, baseRevision: 3 })).status).toBe(404);
  });

  it('export YAML → import YAML round-trips the lab', async () => {
    const lab = makeVethPairLab('round');
    const created = (await s.api('POST', '/api/labs', { lab })).json;
    const y = await s.api('GET', '/api/labs/round/export?format=yaml');
    expect(y.status).toBe(200);
    expect(y.headers['content-type']).toMatch(/yaml/);
    expect(y.headers['content-disposition']).toContain('round.yaml');
    expect(parseYaml(y.text)).toEqual(created.lab);
    const j = await s.api('GET', '/api/labs/round/export?format=json');
    expect(JSON.parse(j.text)).toEqual(created.lab);
    expect((await s.api('GET', '/api/labs/round/export?format=xml')).status).toBe(400);

    expect((await s.api('POST', '/api/labs/import', { text: y.text })).status).toBe(409);
    await s.api('DELETE', '/api/labs/round');
    const imp = await s.api('POST', '/api/labs/import', { text: y.text, format: 'yaml' });
    expect(imp.status).toBe(201);
    expect(imp.json.lab).toEqual(created.lab);
    await s.api('DELETE', '/api/labs/round');
    const impJson = await s.api('POST', '/api/labs/import', { text: j.text });
    expect(impJson.status).toBe(201);
  });

  it('import refuses broken YAML and invalid labs with a path', async () => {
    const broken = await s.api('POST', '/api/labs/import', { text: 'name: [unclosed', format: 'yaml' });
    expect(broken.status).toBe(400);
    expect(broken.json.code).toBe('InvalidLab');
    const bad = await s.api('POST', '/api/labs/import', {
      text: 'version: 1\nname: imp\nnodes:\n  - {id: a, kind: namespace, name: "x;y"}\nlinks: []\n',
    });
    expect(bad.status).toBe(400);
    expect(bad.json.issues[0].path).toEqual(['nodes', 0, 'name']);
    const bomb = await s.api('POST', '/api/labs/import', {
      text: `a: &a [x,x,x,x,x,x,x,x,x,x]\n${Array.from({ length: 200 }, (_, i) => `k${i}: [*a,*a,*a,*a]`).join('\n')}\n`,
      format: 'yaml',
    });
    expect(bomb.status).toBe(400);
  });
});

describe('examples', () => {
  it('lists the valid examples and opens one (then returns the existing lab)', async () => {
    const r = await s.api('GET', '/api/examples');
    const { examples } = ListExamplesResponse.parse(r.json);
    const vp = examples.find((e) => e.file === 'veth-pair.yaml');
    expect(vp).toMatchObject({ name: 'veth-pair', title: expect.any(String) });
    const o = await s.api('POST', '/api/examples/veth-pair.yaml/open');
    expect(o.status).toBe(201);
    expect(o.json.lab.name).toBe('veth-pair');
    const again = await s.api('POST', '/api/examples/veth-pair.yaml/open');
    expect(again.status).toBe(200);
    expect(again.json.revision).toBe(1);
    expect((await s.api('POST', '/api/examples/..%2F..%2Fpackage.json/open')).status).toBe(404);
  });
});

describe('info', () => {
  it('reports mode, version, capabilities and versions', async () => {
    const r = await s.api('GET', '/api/info');
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      mode: 'sandbox',
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      capabilities: { veth: true },
    });
  });
});
