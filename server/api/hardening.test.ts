/**
 * Issue #13 items 1 and 13 over real HTTP: hostile documents are refused quickly naming the limit while
 * /healthz keeps answering; JSON bodies refuse duplicate keys and deep nesting; a corrupt gzip body is a 400
 * naming the problem; a layout-only PUT works; a non-Bearer Authorization header leaves the cookie valid.
 */
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_HEADER, CLIENT_HEADER_VALUE } from '../../shared/session';
import { startTestServer, TEST_TOKEN, type TestServer } from '../testing/harness';
import { makeVethPairLab } from '../testing/labs';
import { closeDocumentWorkers } from '../util/documentsAsync';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s.stop();
  await closeDocumentWorkers();
});

/** The 180k-line `kN: v` document of the red-team report (1.9 MB). */
const keyBomb = () => Array.from({ length: 180_000 }, (_, i) => `k${i}: v`).join('\n');

/** Polls /healthz until `work` settles; answers how many polls came back and the slowest one. */
async function healthzDuring<T>(work: Promise<T>): Promise<{ result: T; polls: number; worstMs: number }> {
  let settled = false;
  let polls = 0;
  let worstMs = 0;
  const done = work.finally(() => {
    settled = true;
  });
  const poller = (async () => {
    while (!settled) {
      const t0 = performance.now();
      const r = await s.req('GET', '/healthz');
      expect(r.status).toBe(200);
      worstMs = Math.max(worstMs, performance.now() - t0);
      polls++;
    }
  })();
  const result = await done;
  await poller;
  return { result, polls, worstMs };
}

describe('documents from outside are bounded (item 1)', () => {
  // Hang guard only (the red-team saw minutes; the target is < 1 s, measured by `npm run bench:import`).
  it('the key bomb is refused naming the limit, and /healthz answers meanwhile', { timeout: 30_000 }, async () => {
    const { result: r, polls } = await healthzDuring(
      s.api('POST', '/api/labs/import', { text: keyBomb(), format: 'yaml' }),
    );
    expect([400, 413]).toContain(r.status);
    expect(r.json.message).toMatch(/limit (maxNodes|maxKeys|deadline)/);
    expect(polls).toBeGreaterThan(0);
    expect((await s.api('GET', '/api/labs')).json.labs).toHaveLength(0);
  });

  it('a mid-size document (parsed in the worker) over maxKeys is refused, /healthz answers meanwhile', {
    timeout: 90_000,
  }, async () => {
    const text = Array.from({ length: 12_000 }, (_, i) => `k${i}: v`).join('\n');
    const { result: r, polls } = await healthzDuring(s.api('POST', '/api/labs/import', { text, format: 'yaml' }));
    expect([400, 413]).toContain(r.status);
    expect(r.json.message).toMatch(/limit (maxKeys|deadline)/);
    expect(polls).toBeGreaterThan(0);
  });

  it('a billion-laughs alias bomb → 400 naming maxNodes/maxAliases', { timeout: 30_000 }, async () => {
    const lines = ['a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let i = 1; i < 9; i++) {
      const [p, c] = [String.fromCharCode(96 + i), String.fromCharCode(97 + i)];
      lines.push(`${c}: &${c} [${Array(9).fill(`*${p}`).join(', ')}]`);
    }
    const r = await s.api('POST', '/api/labs/import', { text: lines.join('\n'), format: 'yaml' });
    expect(r.status).toBe(400);
    expect(r.json.message).toMatch(/limit max(Nodes|Aliases)/);
  });

  it('a 2 MB + document → 413 naming maxBytes', async () => {
    const r = await s.api('POST', '/api/labs/import', { text: `name: x\n# ${'y'.repeat(2_010_000)}\n` });
    expect(r.status).toBe(413);
    expect(r.json.message).toMatch(/maxBytes/);
  });

  it('deeply nested JSON, in an import and as a body → 400 naming maxDepth', async () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const imported = await s.api('POST', '/api/labs/import', { text: deep, format: 'json' });
    expect(imported.status).toBe(400);
    expect(imported.json.message).toMatch(/maxDepth/);
    const body = await s.api('POST', '/api/labs', `{"lab": ${deep}}`);
    expect(body.status).toBe(400);
    expect(body.json.message).toMatch(/the request body .*maxDepth/);
  });
});

describe('request bodies (item 13)', () => {
  it('duplicate keys in a JSON body are refused, naming the key', async () => {
    const lab = JSON.stringify(makeVethPairLab('dup'));
    const r = await s.api('POST', '/api/labs', `{"lab": ${lab}, "lab": ${lab}}`);
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ code: 'InvalidRequest' });
    expect(r.json.message).toMatch(/duplicate key "lab"/);
    expect((await s.api('GET', '/api/labs/dup')).status).toBe(404);
  });

  it('a corrupt gzip body → 400 naming the encoding, not 500 Bug', async () => {
    const good = gzipSync(JSON.stringify({ lab: makeVethPairLab('gz') }));
    const corrupt = Buffer.concat([good.subarray(0, 10), Buffer.from('not deflate data at all')]);
    const r = await s.req('POST', '/api/labs', {
      headers: {
        authorization: `Bearer ${TEST_TOKEN}`,
        'content-type': 'application/json',
        'content-encoding': 'gzip',
      },
      body: corrupt,
    });
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('InvalidRequest');
    expect(r.json.message).toMatch(/gzip/);
    const ok = await s.req('POST', '/api/labs', {
      headers: {
        authorization: `Bearer ${TEST_TOKEN}`,
        'content-type': 'application/json',
        'content-encoding': 'gzip',
      },
      body: good,
    });
    expect(ok.status).toBe(201);
  });

  it('a layout-only PUT keeps the lab and stores the layout', async () => {
    const created = await s.api('POST', '/api/labs', { lab: makeVethPairLab('lay') });
    expect(created.status).toBe(201);
    const layout = { version: 1, positions: { red: { x: 10, y: 20 } }, notes: [] };
    const r = await s.api('PUT', '/api/labs/lay', { layout, baseRevision: created.json.revision });
    expect(r.status).toBe(200);
    expect(r.json.layout.positions.red).toEqual({ x: 10, y: 20 });
    expect(r.json.lab.name).toBe('lay');
  });

  it('a non-Bearer Authorization header does not make a valid cookie fail', async () => {
    // The session model (sessions.ts): the token link is exchanged for a session cookie once.
    const link = await s.req('GET', `/?token=${encodeURIComponent(TEST_TOKEN)}`);
    expect(link.status, link.text).toBe(302);
    const set = String(link.headers['set-cookie']);
    const cookie = set.slice(0, set.indexOf(';'));
    const web = { [CLIENT_HEADER]: CLIENT_HEADER_VALUE };
    const r = await s.req('GET', '/api/labs', { headers: { cookie, ...web, authorization: 'Basic dXNlcjpwYXNz' } });
    expect(r.status).toBe(200);
    // A wrong Bearer token still fails, cookie or not.
    const wrong = await s.req('GET', '/api/labs', { headers: { cookie, ...web, authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
  });
});
