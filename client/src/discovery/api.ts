/**
 * HTTP calls of the host view (same-origin, session cookie). Errors become the app's `ApiError` with the server's
 * ErrorBody, like `api/client.ts`; responses are checked for the fields the view relies on (not fully parsed:
 * a host with hundreds of namespaces is polled every 2 s).
 */
import { ErrorBody } from '../../../shared/errors';
import { ApiError } from '../api/client';
import type { AdoptResponse, Discovery, LabDiff } from './types';

type Fetch = typeof fetch;

async function request(fetchImpl: Fetch, method: string, path: string, body?: unknown): Promise<Response> {
  let res: Response;
  try {
    res = await fetchImpl(path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? { accept: '*/*' } : { 'content-type': 'application/json', accept: '*/*' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (e) {
    throw new ApiError(0, { code: 'Bug', message: `cannot reach the server (${(e as Error).message})`, issues: [] });
  }
  if (!res.ok) {
    let json: unknown = null;
    try {
      json = await res.json();
    } catch {
      json = null;
    }
    const parsed = ErrorBody.safeParse(json);
    throw new ApiError(
      res.status,
      parsed.success
        ? parsed.data
        : { code: 'Bug', message: `HTTP ${res.status} ${res.statusText}`.trim(), issues: [] },
    );
  }
  return res;
}

function bad(what: string): never {
  throw new ApiError(200, { code: 'Bug', message: `unexpected response from ${what}`, issues: [] });
}

export function isDiscovery(x: unknown): x is Discovery {
  const d = x as Discovery;
  return (
    !!d &&
    typeof d.at === 'string' &&
    !!d.lab &&
    Array.isArray(d.lab.nodes) &&
    Array.isArray(d.lab.links) &&
    Array.isArray(d.extras) &&
    !!d.objects &&
    typeof d.objects === 'object'
  );
}

export function createDiscoveryApi(fetchImpl: Fetch = (...a) => fetch(...a)) {
  const enc = encodeURIComponent;
  return {
    async discover(): Promise<Discovery> {
      const json: unknown = await (await request(fetchImpl, 'GET', '/api/discovery')).json();
      if (!isDiscovery(json)) bad('GET /api/discovery');
      return { ...json, warnings: json.warnings ?? [], namespaces: json.namespaces ?? [] };
    },
    async script(): Promise<string> {
      return (await request(fetchImpl, 'GET', '/api/discovery/script')).text();
    },
    async adopt(labName: string, select: string[]): Promise<AdoptResponse> {
      const json = (await (
        await request(fetchImpl, 'POST', '/api/discovery/adopt', { labName, select })
      ).json()) as AdoptResponse;
      if (!json?.lab || typeof json.revision !== 'number') bad('POST /api/discovery/adopt');
      return json;
    },
    async diff(lab: string): Promise<LabDiff> {
      const json = (await (await request(fetchImpl, 'GET', `/api/labs/${enc(lab)}/diff`)).json()) as LabDiff;
      if (!json || !Array.isArray(json.objects)) bad('GET /api/labs/:name/diff');
      return json;
    },
  };
}

export type DiscoveryApi = ReturnType<typeof createDiscoveryApi>;
