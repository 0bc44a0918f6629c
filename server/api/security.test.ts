import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSocket, startTestServer, TEST_TOKEN, type TestServer } from '../testing/harness';
import { makeVethPairLab } from '../testing/labs';
import { stripTokenFromUrl } from './security';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(() => s.stop());

describe('token', () => {
  it('refuses /api without a token (401, ErrorBody)', async () => {
    const r = await s.req('GET', '/api/labs');
    expect(r.status).toBe(401);
    expect(r.json).toEqual({ code: 'Unauthorized', message: expect.any(String), issues: [] });
  });

  it('refuses a wrong token, including one of another length and a malformed header', async () => {
    for (const auth of [`Bearer ${TEST_TOKEN.slice(0, -1)}x`, 'Bearer short', `Basic ${TEST_TOKEN}`, 'Bearer']) {
      expect((await s.req('GET', '/api/labs', { headers: { authorization: auth } })).status).toBe(401);
    }
    expect((await s.req('GET', '/api/labs', { headers: { cookie: 'netloom_token=nope' } })).status).toBe(401);
  });

  it('accepts the bearer token', async () => {
    const r = await s.api('GET', '/api/labs');
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ labs: [] });
  });

  it('/healthz is open', async () => {
    const r = await s.req('GET', '/healthz');
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ ok: true });
  });

  it('a page load with ?token= sets a session cookie (not the token) and redirects without the token', async () => {
    const r = await s.req('GET', `/?token=${TEST_TOKEN}&lab=veth-pair`);
    expect(r.status).toBe(302);
    expect(r.headers.location).toBe('/?lab=veth-pair');
    const cookie = String(r.headers['set-cookie']);
    expect(cookie).toMatch(new RegExp(`^netloom_session_${s.port}=[A-Za-z0-9_-]{43}; `));
    expect(cookie).not.toContain(TEST_TOKEN);
    // more in sessions.test.ts
  });

  it('a page load with a wrong ?token= sets no cookie', async () => {
    const r = await s.req('GET', '/?token=wrong');
    expect(r.status).toBe(401);
    expect(r.headers['set-cookie']).toBeUndefined();
  });

  it('the index page loads without a token and embeds no secret', async () => {
    const r = await s.req('GET', '/');
    expect(r.status).toBe(200);
    expect(r.text).not.toContain(TEST_TOKEN);
  });

  it('the redirect never leaves this host', () => {
    expect(stripTokenFromUrl('/a/..//evil.example/?token=x')).toBe('/evil.example/');
    expect(stripTokenFromUrl('//evil.example/?token=x')).toBe('/');
  });
});

describe('Host (DNS rebinding)', () => {
  it('refuses a foreign Host with 403, even with the token and on /healthz', async () => {
    const evil = { host: 'evil.example' };
    expect((await s.api('GET', '/api/labs', undefined, evil)).status).toBe(403);
    expect((await s.req('GET', '/healthz', { headers: evil })).status).toBe(403);
    const r = await s.req('GET', '/', { headers: { host: `evil.example:${s.port}` } });
    expect(r.status).toBe(403);
    expect(r.json.code).toBe('Forbidden');
  });

  it('refuses an allowed name on another port', async () => {
    expect((await s.api('GET', '/api/labs', undefined, { host: `127.0.0.1:${s.port + 1}` })).status).toBe(403);
  });

  it('accepts localhost, 127.0.0.1 and [::1] with the port', async () => {
    for (const host of [`localhost:${s.port}`, `127.0.0.1:${s.port}`, `[::1]:${s.port}`]) {
      expect((await s.api('GET', '/api/labs', undefined, { host })).status).toBe(200);
    }
  });
});

describe('Origin', () => {
  it('refuses a foreign Origin on a state-changing request (403) and creates nothing', async () => {
    const r = await s.api(
      'POST',
      '/api/labs',
      { lab: makeVethPairLab('origin-test') },
      { origin: 'http://evil.example' },
    );
    expect(r.status).toBe(403);
    expect(r.json.code).toBe('Forbidden');
    expect((await s.api('GET', '/api/labs/origin-test')).status).toBe(404);
    for (const origin of ['null', `http://127.0.0.1:${s.port + 1}`, `https://127.0.0.1:${s.port}`]) {
      expect((await s.api('DELETE', '/api/labs/x', undefined, { origin })).status).toBe(403);
    }
  });

  it('accepts our own Origin and no Origin', async () => {
    const r = await s.api(
      'POST',
      '/api/labs',
      { lab: makeVethPairLab('origin-ok') },
      { origin: `http://127.0.0.1:${s.port}` },
    );
    expect(r.status).toBe(201);
    expect((await s.api('DELETE', '/api/labs/origin-ok')).status).toBe(204);
  });

  it('refuses a WebSocket upgrade from a foreign Origin (403) or without a token (401)', async () => {
    const url = `ws://127.0.0.1:${s.port}/ws`;
    await expect(
      openSocket(url, { authorization: `Bearer ${TEST_TOKEN}`, origin: 'http://evil.example' }),
    ).rejects.toMatchObject({
      status: 403,
    });
    await expect(openSocket(url, {})).rejects.toMatchObject({ status: 401 });
    await expect(openSocket(url, { authorization: 'Bearer wrong' })).rejects.toMatchObject({ status: 401 });
    await expect(
      openSocket(url, { authorization: `Bearer ${TEST_TOKEN}`, host: 'evil.example' }),
    ).rejects.toMatchObject({
      status: 403,
    });
  });

  it('refuses a WebSocket with ?token= (the token is only exchanged by a page load) and unknown paths', async () => {
    await expect(openSocket(`ws://127.0.0.1:${s.port}/ws?token=${TEST_TOKEN}`, {})).rejects.toMatchObject({
      status: 401,
    });
    await expect(
      openSocket(`ws://127.0.0.1:${s.port}/other`, { authorization: `Bearer ${TEST_TOKEN}` }),
    ).rejects.toMatchObject({
      status: 404,
    });
  });
});

describe('bodies and errors', () => {
  it('refuses a 10 MiB body with 413 and the ErrorBody', async () => {
    const big = JSON.stringify({ lab: { description: 'x'.repeat(10 * 1024 * 1024) } });
    const r = await s.api('POST', '/api/labs', big);
    expect(r.status).toBe(413);
    expect(r.json).toEqual({ code: 'PayloadTooLarge', message: expect.any(String), issues: [] });
  });

  it('malformed JSON → 400 InvalidRequest, no stack trace', async () => {
    const r = await s.api('POST', '/api/labs', '{"lab":');
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('InvalidRequest');
    expect(r.text).not.toMatch(/at .*\.(ts|js):\d+/);
  });

  it('unknown API route → 404 ErrorBody', async () => {
    const r = await s.api('GET', '/api/nope');
    expect(r.status).toBe(404);
    expect(r.json.code).toBe('NotFound');
  });

  it('a thrown unknown error → 500 {code:"Bug", message:"internal error"}', async () => {
    const original = s.engine.capabilities;
    s.engine.capabilities = () => {
      throw new Error('secret internals /etc/passwd');
    };
    try {
      const r = await s.api('GET', '/api/info');
      expect(r.status).toBe(500);
      expect(r.json).toEqual({ code: 'Bug', message: 'internal error', issues: [] });
    } finally {
      s.engine.capabilities = original;
    }
  });
});
