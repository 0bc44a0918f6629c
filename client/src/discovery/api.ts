/**
 * HTTP calls of the host view through `request` of `api/client.ts` (same-origin, session cookie; errors become
 * `ApiError` with the server's ErrorBody); responses are checked for the fields the view relies on (not fully
 * parsed: a host with hundreds of namespaces is polled every 2 s).
 */
import type { AdoptResponse, DiscoveryResponse, LabDiff } from '../../../shared/discovery';
import { ApiError, request } from '../api/client';

type Fetch = typeof fetch;

function bad(what: string): never {
  throw new ApiError(200, { code: 'Bug', message: `unexpected response from ${what}`, issues: [] });
}

export function isDiscovery(x: unknown): x is DiscoveryResponse {
  const d = x as DiscoveryResponse;
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
  const send = (method: string, path: string, body?: unknown) => request(fetchImpl, method, path, body, '*/*');
  return {
    async discover(): Promise<DiscoveryResponse> {
      const json: unknown = await (await send('GET', '/api/discovery')).json();
      if (!isDiscovery(json)) bad('GET /api/discovery');
      return { ...json, warnings: json.warnings ?? [], namespaces: json.namespaces ?? [] };
    },
    async script(): Promise<string> {
      return (await send('GET', '/api/discovery/script')).text();
    },
    async adopt(labName: string, select: string[]): Promise<AdoptResponse> {
      const json = (await (await send('POST', '/api/discovery/adopt', { labName, select })).json()) as AdoptResponse;
      if (!json?.lab || typeof json.revision !== 'number') bad('POST /api/discovery/adopt');
      return json;
    },
    async diff(lab: string): Promise<LabDiff> {
      const json = (await (await send('GET', `/api/labs/${enc(lab)}/diff`)).json()) as LabDiff;
      if (!json || !Array.isArray(json.objects)) bad('GET /api/labs/:name/diff');
      return json;
    },
  };
}

export type DiscoveryApi = ReturnType<typeof createDiscoveryApi>;
