/**
 * The live tools behind HTTP and WebSocket: `/api/labs/:name/{exec,path,reachability}`, `GET
 * /api/labs/:name/nodes/:node/live` (live.ts) and the `/ws/term` and
 * `/ws/capture` sockets (authenticated by app.ts before they get here). Resolves lab objects to namespaces
 * from what the lab applied and owns, checked against a fresh observation (`targets.ts`), and hands the work
 * to exec/terminal/capture. No kernel knowledge beyond argv templates; never a shell.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import express, { type Request, type Router } from 'express';
import { type WebSocket, WebSocketServer } from 'ws';
import {
  CaptureQuery,
  type CaptureServerMessage,
  ExecRequest,
  type Lab,
  LabName,
  PathRequest,
  type PathResponse,
  ReachabilityRequest,
  type ReachabilityResponse,
  type RouteGetResult,
  TerminalQuery,
  ToolCloseCode,
} from '../../shared';
import { canonicalIp, formatIp, parseIp } from '../../shared/net';
import { toErrorResponse } from '../api/errors';
import { Quotas } from '../api/quotas';
import { parse } from '../api/request';
import { type Principal, principalOf } from '../api/sessions';
import type { CommandRunner, Engine } from '../engine/contract';
import type { ObservedState } from '../engine/types';
import { AppError } from '../errors';
import type { Logger } from '../log';
import type { LabStore } from '../store/labStore';
import { mapLimit } from '../util/mapLimit';
import { Captures, checkFilter } from './capture';
import { inNetns, runExec } from './exec';
import { readLive } from './live';
import { buildTopology, nodeAddress, ownerOf } from './path';
import { cellProblem, explain, planMatrix } from './reachability';
import { captureTarget, nodeTarget, requireApplied } from './targets';
import { Terminals } from './terminal';

/** Pings in flight at once for the matrix. */
export const REACHABILITY_PARALLEL = 6;
/** Beyond this many namespaces the matrix is refused (n² pings). */
export const REACHABILITY_MAX_NODES = 32;
/** Exec/path commands running at once; more get 409 (each is a process on the host). */
export const MAX_EXEC_IN_FLIGHT = 16;

export interface ToolsDeps {
  engine: Engine;
  store: LabStore;
  log: Logger;
  /** Runner of the world labs live in (sandbox or host); without it every tool answers Unsupported. */
  runner?: CommandRunner;
  /** Per-principal quotas (exec, terminals, captures); app.ts shares its instance with the /ws cap. */
  quotas?: Quotas;
}

/** `ip -j route get` output → the first hop the kernel picked. */
export function parseRouteGet(stdout: string): Omit<RouteGetResult, 'agrees'> {
  try {
    const [r] = JSON.parse(stdout) as { dev?: string; gateway?: string; prefsrc?: string; type?: string }[];
    if (!r) return { ok: false, error: 'no route' };
    return {
      ok: true,
      ...(r.dev ? { dev: r.dev } : {}),
      ...(r.gateway ? { via: r.gateway } : {}),
      ...(r.prefsrc ? { src: r.prefsrc } : {}),
      type: r.type ?? 'unicast',
    };
  } catch {
    return { ok: false, error: 'unreadable output of ip route get' };
  }
}

export class ToolsService {
  readonly terminals: Terminals | null;
  readonly captures: Captures | null;
  private readonly termWss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  private readonly capWss = new WebSocketServer({ noServer: true, maxPayload: 4 * 1024 });
  private execInFlight = 0;
  readonly quotas: Quotas;
  /** Labs whose reachability matrix is being measured (one at a time per lab). */
  private readonly matrixBusy = new Set<string>();

  constructor(private readonly deps: ToolsDeps) {
    this.terminals = deps.runner ? new Terminals(deps.runner, deps.log) : null;
    this.captures = deps.runner ? new Captures(deps.runner, deps.log) : null;
    this.quotas = deps.quotas ?? new Quotas();
  }

  /**
   * Runs `fn` holding `n` of the exec slots: at most MAX_EXEC_IN_FLIGHT on the server (409 beyond) and the
   * principal's `exec` quota (429 beyond). The reachability matrix holds its parallelism here too.
   */
  private async limited<T>(who: Principal, fn: () => Promise<T>, n = 1): Promise<T> {
    if (this.execInFlight + n > MAX_EXEC_IN_FLIGHT)
      throw new AppError('Conflict', `too many tool commands running (at most ${MAX_EXEC_IN_FLIGHT}); try again`);
    const release = this.quotas.acquire(who, 'exec', n);
    this.execInFlight += n;
    try {
      return await fn();
    } finally {
      this.execInFlight -= n;
      release();
    }
  }

  private runner(): CommandRunner {
    if (!this.deps.runner) throw new AppError('Unsupported', 'live tools are not available in this server');
    return this.deps.runner;
  }

  /**
   * The lab as this server applied it (never the stored document: a stored lab may name anything) and a fresh
   * observation of the host, against which `targets.ts` checks every tool target's ownership marker.
   */
  private async lab(
    name: string,
  ): Promise<{ lab: Lab; revision: number; appliedRevision: number | null; observed: ObservedState }> {
    if (!LabName.safeParse(name).success) throw new AppError('InvalidRequest', 'invalid lab name');
    const doc = await this.deps.store.require(name);
    const lab = requireApplied(name, await this.deps.engine.appliedLab(name));
    const observed = await this.deps.engine.observe();
    return { lab, revision: doc.revision, appliedRevision: doc.appliedRevision, observed };
  }

  /** Observed operstate per endpoint key (best effort: an unreadable host means "unknown", not "down"). */
  private async operstates(l: {
    lab: Lab;
    revision: number;
    appliedRevision: number | null;
  }): Promise<Record<string, string | undefined>> {
    try {
      const st = await this.deps.engine.status(l.lab, { observed: l.revision, applied: l.appliedRevision });
      return Object.fromEntries(Object.entries(st.objects).map(([k, v]) => [k, v.operstate]));
    } catch (err) {
      this.deps.log.warn({ err }, 'status for tools failed');
      return {};
    }
  }

  router(): Router {
    const r = express.Router();
    const name = (req: Request) => String(req.params.name);

    r.post('/labs/:name/exec', async (req, res) => {
      const body = parse(ExecRequest, req.body);
      const runner = this.runner();
      const { lab, observed } = await this.lab(name(req));
      const netns = nodeTarget(lab, observed, body.node, 'exec');
      res.json(await this.limited(principalOf(req), () => runExec(runner, netns, body)));
    });

    // A namespace's live routes, neighbours, FDB and addresses (lo included), read from the kernel now.
    r.get('/labs/:name/nodes/:node/live', async (req, res) => {
      const runner = this.runner();
      const { lab, observed } = await this.lab(name(req));
      const node = String(req.params.node);
      const netns = nodeTarget(lab, observed, node, 'exec');
      if (netns === null) throw new AppError('InvalidRequest', 'live state is read for a namespace node, not the host');
      res.json(await this.limited(principalOf(req), () => readLive(runner, lab.name, node, netns)));
    });

    r.post('/labs/:name/path', async (req, res) => {
      const body = parse(PathRequest, req.body);
      const runner = this.runner();
      const l = await this.lab(name(req));
      const netns = nodeTarget(l.lab, l.observed, body.from, 'path');
      const t = buildTopology(l.lab, await this.operstates(l));
      const from = l.lab.nodes.find((n) => n.id === body.from)?.kind === 'host' ? t.rootPlace : body.from;
      let dst = parseIp(body.to);
      let toNode: string | undefined;
      if (dst) toNode = ownerOf(t, dst);
      else {
        const node = l.lab.nodes.find((n) => n.id === body.to);
        if (!node) throw new AppError('NotFound', `lab "${l.lab.name}" has no node "${body.to}"`);
        if (node.kind === 'bridge') throw new AppError('InvalidRequest', 'pick a namespace, the host or an address');
        toNode = node.kind === 'host' ? t.rootPlace : node.id;
        dst = nodeAddress(t, toNode) ?? null;
        if (!dst) throw new AppError('InvalidRequest', `node "${body.to}" has no address to reach`);
      }
      const target = canonicalIp(body.to) ?? formatIp(dst);
      const ex = explain(t, from, dst, toNode);
      const rg = await this.limited(principalOf(req), () =>
        runner.run(inNetns(netns, ['ip', '-j', 'route', 'get', 'to', target]), { timeoutMs: 10_000 }),
      );
      const got = rg.code === 0 ? parseRouteGet(rg.stdout) : { ok: false, error: rg.stderr.trim().slice(0, 300) };
      const firstHop = ex.forward.hops[0];
      const agrees =
        got.ok &&
        (firstHop?.out === undefined
          ? got.type === 'local'
          : got.dev === firstHop.out && (got.via ?? undefined) === (firstHop.via ?? undefined));
      const ping = body.ping
        ? await this.limited(principalOf(req), () =>
            runExec(runner, netns, { node: body.from, tool: 'ping', args: { target, count: 1, timeoutS: 1 } }),
          )
        : undefined;
      const out: PathResponse = {
        from: body.from,
        target,
        ...(toNode && t.places.has(toNode) ? { toNode } : {}),
        complete: ex.forward.ok && (toNode === undefined || ex.forward.at === toNode),
        hops: ex.forward.hops,
        objects: ex.forward.objects,
        reverseObjects: ex.reverse?.objects ?? [],
        ...(ex.problem ? { problem: ex.problem } : {}),
        routeGet: { ...got, agrees },
        ...(ping ? { ping } : {}),
      };
      res.json(out);
    });

    r.post('/labs/:name/reachability', async (req, res) => {
      const body = parse(ReachabilityRequest, req.body ?? {});
      const runner = this.runner();
      const t0 = performance.now();
      const l = await this.lab(name(req));
      const t = buildTopology(l.lab, await this.operstates(l));
      const { nodes, pairs } = planMatrix(t);
      if (nodes.length > REACHABILITY_MAX_NODES)
        throw new AppError(
          'Unsupported',
          `the matrix is limited to ${REACHABILITY_MAX_NODES} namespaces with addresses (this lab has ${nodes.length})`,
        );
      const netnsOf = new Map(nodes.map((id) => [id, nodeTarget(l.lab, l.observed, id, 'reachability')]));
      if (this.matrixBusy.has(l.lab.name))
        throw new AppError('Conflict', `a reachability matrix of lab "${l.lab.name}" is already being measured`);
      // The matrix's pings hold exec slots like any command: as many as are free, up to its parallelism.
      const who = principalOf(req);
      const parallel = Math.max(
        1,
        Math.min(REACHABILITY_PARALLEL, this.quotas.free(who, 'exec'), MAX_EXEC_IN_FLIGHT - this.execInFlight),
      );
      this.matrixBusy.add(l.lab.name);
      const cells = await this.limited(
        who,
        () =>
          mapLimit(pairs, parallel, async (p) => {
            const target = formatIp(p.target);
            const netns = netnsOf.get(p.from);
            if (netns === undefined) throw new AppError('Bug', `no checked target for node "${p.from}"`);
            const r = await runExec(runner, netns, {
              node: p.from,
              tool: 'ping',
              args: { target, count: 1, timeoutS: body.timeoutS },
            });
            const reachable = (r.parsed?.received ?? 0) > 0;
            const problem = cellProblem(p, reachable);
            return {
              from: p.from,
              to: p.to,
              target,
              reachable,
              rttMs: r.parsed?.rttAvgMs ?? null,
              expected: p.explanation.expected,
              ...(problem ? { problem } : {}),
            };
          }),
        parallel,
      ).finally(() => this.matrixBusy.delete(l.lab.name));
      const out: ReachabilityResponse = {
        lab: l.lab.name,
        nodes,
        cells,
        durationMs: Math.round(performance.now() - t0),
      };
      res.json(out);
    });
    return r;
  }

  /** Paths this service answers WebSocket upgrades on. */
  handles(path: string): boolean {
    return path === '/ws/term' || path === '/ws/capture';
  }

  /** Called by app.ts after the Host/Origin/token checks passed. */
  upgrade(path: string, req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const query = Object.fromEntries(new URL(req.url ?? '/', 'http://x').searchParams);
    const wss = path === '/ws/term' ? this.termWss : this.capWss;
    const who = principalOf(req);
    wss.handleUpgrade(req, socket, head, (ws) => {
      const work = path === '/ws/term' ? this.openTerminal(ws, query, who) : this.openCapture(ws, query, who);
      work.catch((err: unknown) => refuse(ws, err, this.deps.log));
    });
  }

  /** One slot of `kind` for `who` while `ws` lives (429 naming the quota when used up). */
  private hold(ws: WebSocket, who: Principal, kind: 'terminals' | 'captures'): void {
    const release = this.quotas.acquire(who, kind);
    ws.once('close', release);
  }

  private async openTerminal(ws: WebSocket, query: Record<string, string>, who: Principal): Promise<void> {
    const q = parse(TerminalQuery, query);
    if (!this.terminals) throw new AppError('Unsupported', 'terminals are not available in this server');
    this.hold(ws, who, 'terminals');
    const { lab, observed } = await this.lab(q.lab);
    const netns = nodeTarget(lab, observed, q.node, 'terminal');
    if (ws.readyState !== ws.OPEN) return;
    await this.terminals.open(ws, { node: q.node, netns, cols: q.cols, rows: q.rows });
  }

  private async openCapture(ws: WebSocket, query: Record<string, string>, who: Principal): Promise<void> {
    const q = parse(CaptureQuery, query);
    if (!this.captures) throw new AppError('Unsupported', 'capture is not available in this server');
    this.hold(ws, who, 'captures');
    const { lab, observed } = await this.lab(q.lab);
    const end = q.end as 0 | 1;
    const { ifname, netns } = captureTarget(lab, observed, q.link, end);
    const problem = await checkFilter(this.runner(), { ifname, netns, filter: q.filter });
    if (problem) throw new AppError('InvalidRequest', `the filter does not compile: ${problem}`);
    if (ws.readyState !== ws.OPEN) return;
    this.captures.start(ws, { link: q.link, end, ifname, netns, filter: q.filter });
  }

  close(): void {
    this.terminals?.closeAll();
    this.captures?.closeAll();
    for (const c of [...this.termWss.clients, ...this.capWss.clients]) c.terminate();
    this.termWss.close();
    this.capWss.close();
  }
}

const CLOSE_FOR: Record<number, number> = {
  400: ToolCloseCode.BadRequest,
  403: ToolCloseCode.Forbidden,
  404: ToolCloseCode.NotFound,
  409: ToolCloseCode.Conflict,
  429: ToolCloseCode.TooMany,
};

/** A refused tool socket gets the usual error body as one JSON frame, then a 44xx close code. */
function refuse(ws: WebSocket, err: unknown, log: Logger): void {
  const { status, body, unexpected } = toErrorResponse(err);
  if (unexpected) log.error({ err }, 'tool socket failed');
  const msg: CaptureServerMessage = { type: 'error', code: body.code, message: body.message };
  if (ws.readyState === ws.OPEN) {
    ws.send(JSON.stringify(msg));
    ws.close(CLOSE_FOR[status] ?? ToolCloseCode.Failed, body.code);
  }
}
