/**
 * Sessions (issue #13 item 5): the token link is exchanged once for an opaque, expiring, revocable session
 * id; the cookie is named after the port and never carries the token; cookie requests need the header only
 * our page sends (sockets: our Origin and the subprotocol); Bearer tokens keep working; registered tokens
 * (the classroom's per-student links) log in as their principal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_HEADER, WS_PROTOCOL } from '../../shared/session';
import { openSocket, startTestServer, TEST_TOKEN, type TestServer } from '../testing/harness';
import { OPERATOR, Sessions, sessionCookieName } from './sessions';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(() => s.stop());

const web = { [CLIENT_HEADER]: 'web' };

/** Opens a token link; returns the `Cookie` header value the browser would send back. */
async function login(token = TEST_TOKEN, path = '/'): Promise<string> {
  const r = await s.req('GET', `${path}?token=${encodeURIComponent(token)}`);
  expect(r.status, r.text).toBe(302);
  const set = String(r.headers['set-cookie']);
  return set.slice(0, set.indexOf(';'));
}

describe('token link → session', () => {
  it('sets an opaque per-port cookie: HttpOnly, SameSite=Strict, Path=/, expiring; the token is not in it', async () => {
    const r = await s.req('GET', `/?token=${TEST_TOKEN}#x`);
    const set = String(r.headers['set-cookie']);
    const [pair, ...attrs] = set.split(';').map((a) => a.trim());
    const [name, value] = (pair ?? '').split('=');
    expect(name).toBe(sessionCookieName(s.port));
    expect(value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(set).not.toContain(TEST_TOKEN);
    expect(attrs).toEqual(expect.arrayContaining(['Path=/', 'HttpOnly', 'SameSite=Strict']));
    expect(attrs.find((a) => a.startsWith('Max-Age='))).toMatch(/^Max-Age=[1-9]\d*$/);
    expect(r.headers.location).toBe('/');
    // Each link opening is a new random id.
    expect(await login()).not.toBe(`${name}=${value}`);
  });

  it('the session works with the header our page sends, and says who it is', async () => {
    const cookie = await login();
    expect((await s.req('GET', '/api/labs', { headers: { cookie, ...web } })).status).toBe(200);
    const me = await s.req('GET', '/api/session', { headers: { cookie, ...web } });
    expect(me.json).toMatchObject({ principal: OPERATOR, via: 'session', expiresAt: expect.any(Number) });
  });

  it('a request without the header is refused (403 naming it), even a GET', async () => {
    const cookie = await login();
    for (const method of ['GET', 'DELETE']) {
      const r = await s.req(method, '/api/labs', { headers: { cookie, origin: `http://127.0.0.1:${s.port}` } });
      expect(r.status).toBe(403);
      expect(r.json.message).toMatch(/X-Netloom-Client/);
    }
    const wrong = await s.req('GET', '/api/labs', { headers: { cookie, [CLIENT_HEADER]: 'curl' } });
    expect(wrong.status).toBe(403);
  });

  it('a session request from a foreign Origin is refused, even a GET', async () => {
    const cookie = await login();
    const r = await s.req('GET', '/api/labs', { headers: { cookie, ...web, origin: 'http://127.0.0.1:9' } });
    expect(r.status).toBe(403);
  });

  it('the token is not accepted as a cookie value any more (either name)', async () => {
    for (const cookie of [`${sessionCookieName(s.port)}=${TEST_TOKEN}`, `netloom_token=${TEST_TOKEN}`]) {
      expect((await s.req('GET', '/api/labs', { headers: { cookie, ...web } })).status).toBe(401);
    }
  });

  it("another port's cookie name is not ours", async () => {
    const cookie = (await login()).replace(`_${s.port}=`, `_${s.port + 1}=`);
    expect((await s.req('GET', '/api/labs', { headers: { cookie, ...web } })).status).toBe(401);
  });

  it('logout revokes the session and clears the cookie', async () => {
    const cookie = await login();
    const origin = `http://127.0.0.1:${s.port}`;
    const out = await s.req('POST', '/api/logout', { headers: { cookie, ...web, origin } });
    expect(out.status).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(new RegExp(`^${sessionCookieName(s.port)}=; .*Max-Age=0`));
    const after = await s.req('GET', '/api/labs', { headers: { cookie, ...web } });
    expect(after.status).toBe(401);
    expect(after.json.message).toMatch(/expired or was ended/);
  });

  it('/api/login?token= (the dev server proxies /api only) sets the session and goes to /', async () => {
    const r = await s.req('GET', `/api/login?token=${TEST_TOKEN}`);
    expect(r.status).toBe(302);
    expect(r.headers.location).toBe('/');
    expect(String(r.headers['set-cookie'])).toMatch(/^netloom_session_/);
    expect((await s.req('GET', '/api/login?token=nope')).status).toBe(401);
  });

  it('a token link for a registered student principal gives role student; revoking it ends it', async () => {
    const student = { id: 'student-7', role: 'student' as const, label: 'Ada' };
    s.security.registerToken('student-token-7', student);
    const cookie = await login('student-token-7');
    const me = await s.req('GET', '/api/session', { headers: { cookie, ...web } });
    expect(me.json.principal).toEqual(student);
    expect((await s.api('GET', '/api/session', undefined, { authorization: 'Bearer student-token-7' })).json).toEqual({
      principal: student,
      via: 'bearer',
    });
    expect(s.security.revokePrincipal('student-7')).toBe(1);
    expect((await s.req('GET', '/api/session', { headers: { cookie, ...web } })).status).toBe(401);
    expect((await s.req('GET', '/?token=student-token-7')).status).toBe(401);
  });

  it('Bearer tokens keep working without the header; a non-Bearer Authorization does not spoil a cookie', async () => {
    expect((await s.api('GET', '/api/session')).json).toEqual({ principal: OPERATOR, via: 'bearer' });
    const cookie = await login();
    const r = await s.req('GET', '/api/labs', { headers: { cookie, ...web, authorization: 'Basic eDp5' } });
    expect(r.status).toBe(200);
  });

  it('netloom.localhost is an accepted Host (and Origin)', async () => {
    const host = `netloom.localhost:${s.port}`;
    const cookie = await login();
    const r = await s.req('GET', '/api/labs', { headers: { host, cookie, ...web, origin: `http://${host}` } });
    expect(r.status).toBe(200);
  });
});

describe('session sockets', () => {
  const url = () => `ws://127.0.0.1:${s.port}/ws`;
  const origin = () => `http://127.0.0.1:${s.port}`;

  it('our Origin + the cookie + the subprotocol: accepted', async () => {
    const ws = await openSocket(url(), { origin: origin(), cookie: await login() }, [WS_PROTOCOL]);
    expect(ws.ws.protocol).toBe(WS_PROTOCOL);
    expect((await ws.next('hello')).mode).toBe('sandbox');
    ws.close();
  });

  it('without the subprotocol, without an Origin or with the token as cookie: refused', async () => {
    const cookie = await login();
    await expect(openSocket(url(), { origin: origin(), cookie })).rejects.toMatchObject({ status: 403 });
    await expect(openSocket(url(), { cookie }, [WS_PROTOCOL])).rejects.toMatchObject({ status: 403 });
    await expect(
      openSocket(url(), { origin: origin(), cookie: `${sessionCookieName(s.port)}=${TEST_TOKEN}` }, [WS_PROTOCOL]),
    ).rejects.toMatchObject({ status: 401 });
  });
});

describe('Sessions (clock)', () => {
  const clock = () => {
    let t = 1_000_000;
    return { now: () => t, advance: (ms: number) => (t += ms) };
  };

  it('an idle session expires; use restarts the idle clock', () => {
    const c = clock();
    const ss = new Sessions({ idleMs: 1000, absoluteMs: 10_000, now: c.now });
    const { id } = ss.create(OPERATOR);
    c.advance(999);
    expect(ss.lookup(id)?.principal).toEqual(OPERATOR);
    c.advance(999);
    expect(ss.lookup(id)).not.toBeNull();
    c.advance(1000);
    expect(ss.lookup(id)).toBeNull();
  });

  it('a used session still ends at its absolute deadline', () => {
    const c = clock();
    const ss = new Sessions({ idleMs: 1000, absoluteMs: 3000, now: c.now });
    const { id, expiresAt } = ss.create(OPERATOR);
    expect(expiresAt).toBe(c.now() + 3000);
    for (let i = 0; i < 5; i++) {
      c.advance(500);
      expect(ss.lookup(id)).not.toBeNull();
    }
    c.advance(500);
    expect(ss.lookup(id)).toBeNull();
  });

  it('revoked and unknown ids are refused; a principal keeps a bounded number of sessions', () => {
    const ss = new Sessions({ perPrincipal: 3 });
    const ids = Array.from({ length: 5 }, () => ss.create(OPERATOR).id);
    expect(ss.count('operator')).toBe(3);
    expect(ss.lookup(ids[0])).toBeNull();
    expect(ss.lookup(ids[4])).not.toBeNull();
    expect(ss.revoke(ids[4])).toBe(true);
    expect(ss.lookup(ids[4])).toBeNull();
    expect(ss.lookup('made-up')).toBeNull();
    expect(ss.lookup('')).toBeNull();
  });
});
