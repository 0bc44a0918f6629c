import { describe, expect, it, vi } from 'vitest';
import { makeVethPair } from '../testing/factories';
import { ApiError, createApiClient } from './client';
import { backoffDelay, StatusSocket } from './statusSocket';

function fakeFetch(status: number, body: unknown) {
  return vi.fn(async () => new Response(typeof body === 'string' ? body : JSON.stringify(body), { status }));
}

describe('api client', () => {
  it('parses a lab document with the shared schema (defaults filled in)', async () => {
    const lab = makeVethPair() as unknown as Record<string, unknown>;
    const f = fakeFetch(200, { lab, layout: { version: 1 }, revision: 2 });
    const api = createApiClient('', f);
    const doc = await api.getLab('veth-pair');
    expect(doc.revision).toBe(2);
    expect(doc.layout.positions).toEqual({});
    expect(f).toHaveBeenCalledWith(
      '/api/labs/veth-pair',
      expect.objectContaining({ method: 'GET', credentials: 'same-origin' }),
    );
  });

  it('sends the base revision on save', async () => {
    const f = fakeFetch(200, { lab: makeVethPair(), layout: { version: 1 }, revision: 3 });
    await createApiClient('', f).saveLab(makeVethPair(), { version: 1, positions: {}, notes: [] }, 2);
    const init = (f.mock.calls[0] as unknown as [string, RequestInit])[1];
    expect(init.method).toBe('PUT');
    expect(JSON.parse(String(init.body)).baseRevision).toBe(2);
  });

  it('turns an ErrorBody into ApiError with issues', async () => {
    const f = fakeFetch(409, { code: 'Conflict', message: 'stale revision', issues: [] });
    const err = await createApiClient('', f)
      .saveLab(makeVethPair(), { version: 1, positions: {}, notes: [] }, 1)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(409);
    expect((err as ApiError).body.code).toBe('Conflict');
  });

  it('rejects a malformed success response', async () => {
    const err = await createApiClient('', fakeFetch(200, { nope: true }))
      .info()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).message).toMatch(/unexpected response/);
  });

  it('ignores fields of /api/info it does not know (a cached older client against a newer server)', async () => {
    const info = { mode: 'sandbox', version: '9.9.9', capabilities: {}, versions: {}, fromTheFuture: 1 };
    const r = await createApiClient('', fakeFetch(200, info)).info();
    expect(r.mode).toBe('sandbox');
  });

  it('maps a non-JSON error to a Bug body', async () => {
    const err = await createApiClient('', fakeFetch(502, '<html>bad gateway</html>'))
      .apply('x')
      .catch((e: unknown) => e);
    expect((err as ApiError).body).toMatchObject({ code: 'Bug' });
  });

  it('parses 202 operation started', async () => {
    const r = await createApiClient('', fakeFetch(202, { operationId: 'op-1' })).apply('veth-pair');
    expect(r.operationId).toBe('op-1');
  });

  it('marks every call as coming from our page (X-Netloom-Client: web), GETs included', async () => {
    const f = fakeFetch(200, { labs: [] });
    await createApiClient('', f).listLabs();
    const init = (f.mock.calls[0] as unknown as [string, RequestInit])[1];
    expect(init.headers).toMatchObject({ 'X-Netloom-Client': 'web' });
  });

  it('the status socket asks for the netloom.web subprotocol', () => {
    const made: unknown[][] = [];
    class FakeWs {
      constructor(...args: unknown[]) {
        made.push(args);
      }
      close() {}
    }
    const sock = new StatusSocket(
      { onMessage: () => {}, onState: () => {} },
      { url: 'ws://x/ws', WebSocketImpl: FakeWs as unknown as typeof WebSocket },
    );
    sock.start();
    expect(made[0]).toEqual(['ws://x/ws', ['netloom.web']]);
    sock.stop();
  });

  it('backs off exponentially with a cap', () => {
    expect([0, 1, 2, 3, 10].map((a) => backoffDelay(a, 500, 4000))).toEqual([500, 1000, 2000, 4000, 4000]);
  });
});
