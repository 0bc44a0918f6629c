/**
 * Typed HTTP client for /api: same-origin fetch with the session cookie; every response is parsed with the
 * shared schemas, every failure becomes an `ApiError` carrying the server's ErrorBody. No UI state here.
 */
import type { z } from 'zod';
import {
  InfoResponse,
  LabDocument,
  ListExamplesResponse,
  ListLabsResponse,
  NamesInUse,
  OperationStarted,
} from '../../../shared/api';
import { ErrorBody } from '../../../shared/errors';
import { type ForeignFormat, InteropExportResponse, InteropImportResponse } from '../../../shared/interop';
import type { Lab } from '../../../shared/lab';
import type { Layout } from '../../../shared/layout';
import { PlanResult } from '../../../shared/plan';
import { CLIENT_HEADER, CLIENT_HEADER_VALUE } from '../../../shared/session';
import { type ExecRequestInput, ExecResponse, PathResponse, ReachabilityResponse } from '../../../shared/tools';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
  ) {
    super(body.message);
    this.name = 'ApiError';
  }
}

type Fetch = typeof fetch;

/**
 * One call to the server: same-origin fetch with the session cookie and a JSON body when given. A network
 * failure or a non-2xx answer becomes an `ApiError` (with the server's ErrorBody when it sent one).
 */
export async function request(
  fetchImpl: Fetch,
  method: string,
  url: string,
  body?: unknown,
  accept = 'application/json',
): Promise<Response> {
  let res: Response;
  try {
    res = await fetchImpl(url, {
      method,
      credentials: 'same-origin',
      // The mark only our page sends (a foreign page cannot add it without a preflight the server never answers).
      headers: {
        accept,
        [CLIENT_HEADER]: CLIENT_HEADER_VALUE,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
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

export function createApiClient(base = '', fetchImpl: Fetch = (...a) => fetch(...a)) {
  async function call<S extends z.ZodType>(
    schema: S,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<z.infer<S>> {
    const res = await request(fetchImpl, method, `${base}${path}`, body);
    const text = await res.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success)
      throw new ApiError(res.status, {
        code: 'Bug',
        message: `unexpected response from ${method} ${path}: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
        issues: [],
      });
    return parsed.data;
  }
  const enc = encodeURIComponent;
  return {
    info: () => call(InfoResponse, 'GET', '/api/info'),
    listLabs: () => call(ListLabsResponse, 'GET', '/api/labs'),
    getLab: (name: string) => call(LabDocument, 'GET', `/api/labs/${enc(name)}`),
    createLab: (lab: Lab, layout: Layout) => call(LabDocument, 'POST', '/api/labs', { lab, layout }),
    saveLab: (lab: Lab, layout: Layout, baseRevision: number) =>
      call(LabDocument, 'PUT', `/api/labs/${enc(lab.name)}`, { lab, layout, baseRevision }),
    importLab: (text: string, format?: 'json' | 'yaml') =>
      call(LabDocument, 'POST', '/api/labs/import', format ? { text, format } : { text }),
    /** A containerlab or CORE file: converted, stored as a new lab, with the import report. */
    importForeign: (text: string, filename: string, from?: ForeignFormat) =>
      call(InteropImportResponse, 'POST', '/api/interop/import', { text, filename, ...(from ? { from } : {}) }),
    /** The stored lab as a containerlab topology. */
    exportContainerlab: (name: string) =>
      call(InteropExportResponse, 'GET', `/api/labs/${enc(name)}/export/containerlab`),
    listExamples: () => call(ListExamplesResponse, 'GET', '/api/examples'),
    /** Creates the example's lab (or returns the existing one of that name). */
    openExample: (file: string) => call(LabDocument, 'POST', `/api/examples/${enc(file)}/open`),
    /** Dry run of the lab as stored (save first). */
    plan: (name: string, baseRevision?: number) =>
      call(PlanResult, 'POST', `/api/labs/${enc(name)}/plan`, baseRevision === undefined ? {} : { baseRevision }),
    /** `baseRevision` makes the server refuse (409) when the stored lab is not the one the user sees. */
    apply: (name: string, baseRevision?: number) =>
      call(
        OperationStarted,
        'POST',
        `/api/labs/${enc(name)}/apply`,
        baseRevision === undefined ? {} : { baseRevision },
      ),
    destroy: (name: string) => call(OperationStarted, 'POST', `/api/labs/${enc(name)}/destroy`, {}),
    /** Rolls back whatever an interrupted or failed change left (the engine's journal); result for lab "*". */
    recover: () => call(OperationStarted, 'POST', '/api/recover', {}),
    // ---- lab management (server/api/labManagement.ts) ----
    /** Kernel names every other lab and the host use, minus what lab `name` made itself. */
    namesInUse: (name: string) => call(NamesInUse, 'GET', `/api/names?lab=${enc(name)}`),
    renameLab: (name: string, to: string, title?: string) =>
      call(LabDocument, 'POST', `/api/labs/${enc(name)}/rename`, title === undefined ? { to } : { to, title }),
    duplicateLab: (name: string, to: string) => call(LabDocument, 'POST', `/api/labs/${enc(name)}/duplicate`, { to }),
    /** Refused (409) while the lab is applied. */
    deleteLab: async (name: string): Promise<void> => {
      await request(fetchImpl, 'DELETE', `${base}/api/labs/${enc(name)}`);
    },
    // ---- live tools (shared/tools.ts) ----
    exec: (name: string, req: ExecRequestInput) => call(ExecResponse, 'POST', `/api/labs/${enc(name)}/exec`, req),
    /** The designed path from a node to a node id or an address, plus (by default) one ping along it. */
    path: (name: string, from: string, to: string, ping = true) =>
      call(PathResponse, 'POST', `/api/labs/${enc(name)}/path`, { from, to, ping }),
    /** Pings every ordered pair of namespaces with addresses; explains the failures. */
    reachability: (name: string, timeoutS?: number) =>
      call(
        ReachabilityResponse,
        'POST',
        `/api/labs/${enc(name)}/reachability`,
        timeoutS === undefined ? {} : { timeoutS },
      ),
  };
}

export type ApiClient = ReturnType<typeof createApiClient>;
