/**
 * The live tools behind HTTP and WebSocket: `/api/labs/:name/{exec,path,reachability}`, `GET
 * /api/labs/:name/nodes/:node/live` (live.ts) and the `/ws/term` and
 * `/ws/capture` sockets (authenticated by app.ts before they get here). Resolves lab objects to namespaces
 * (the lab as last applied, else as stored) and hands the work to exec/terminal/capture. No kernel knowledge
 * beyond argv templates; never a shell.
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
import { parse } from '../api/request';
import type { CommandRunner, Engine } from '../engine/contract';
import { AppError } from '../errors';
import type { Logger } from '../log';
import type { LabStore } from '../store/labStore';
import { mapLimit } from '../util/mapLimit';
import { Captures, checkFilter, linkEnd } from './capture';
import { inNetns, nodeNetns, runExec } from './exec';
import { readLive } from './live';
import { buildTopology, nodeAddress, ownerOf } from './path';
import { cellProblem, explain, planMatrix } from './reachability';
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
  /** Labs whose reachability matrix is being measured (one at a time per lab). */
  private readonly matrixBusy = new Set<string>();

  constructor(private readonly deps: ToolsDeps) {
    this.terminals = deps.runner ? new Terminals(deps.runner, deps.log) : null;
    this.captures = deps.runner ? new Captures(deps.runner, deps.log) : null;
  }

  /** Runs `fn` as one of at most MAX_EXEC_IN_FLIGHT commands; refuses (409) beyond that. */
  private async limited<T>(fn: () => Promise<T>): Promise<T> {
    if (this.execInFlight >= MAX_EXEC_IN_FLIGHT)
      throw new AppError('Conflict', `too many tool commands running (at most ${MAX_EXEC_IN_FLIGHT}); try again`);
    this.execInFlight++;
    try {
      return await fn();
    } finally {
      this.execInFlight--;
    }
  }

  private runner(): CommandRunner {
    if (!this.deps.runner) throw new AppError('Unsupported', 'live tools are not available in this server');
    return this.deps.runner;
  }

  /** The lab as realized (last applied), else as stored: its names are the ones on the host. */
  private async lab(name: string): Promise<{ lab: Lab; revision: number; appliedRevision: number | null }> {
    if (!LabName.safeParse(name).success) throw new AppError('InvalidRequest', 'invalid lab name');
    const doc = await this.deps.store.require(name);
    const applied = await this.deps.engine.appliedLab(name);
    return { lab: applied ?? doc.lab, revision: doc.revision, appliedRevision: doc.appliedRevision };
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
      const { lab } = await this.lab(name(req));
      const netns = nodeNetns(lab, body.node);
      res.json(await this.limited(() => runExec(runner, netns, body)));
    });

    // A namespace's live routes, neighbours, FDB and addresses (lo included), read from the kernel now.
    r.get('/labs/:name/nodes/:node/live', async (req, res) => {
      const runner = this.runner();
      const { lab } = await this.lab(name(req));
      const node = String(req.params.node);
      const netns = nodeNetns(lab, node);
      if (netns === null) throw new AppError('InvalidRequest', 'live state is read for a namespace node, not the host');
      res.json(await this.limited(() => readLive(runner, lab.name, node, netns)));
    });

    r.post('/labs/:name/path', async (req, res) => {
      const body = parse(PathRequest, req.body);
      const runner = this.runner();
      const l = await this.lab(name(req));
      const netns = nodeNetns(l.lab, body.from);
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
      const rg = await this.limited(() =>
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
        ? await this.limited(() =>
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
      const netnsOf = new Map(nodes.map((id) => [id, nodeNetns(l.lab, id)]));
      if (this.matrixBusy.has(l.lab.name))
        throw new AppError('Conflict', `a reachability matrix of lab "${l.lab.name}" is already being measured`);
      this.matrixBusy.add(l.lab.name);
      const cells = await mapLimit(pairs, REACHABILITY_PARALLEL, async (p) => {
        const target = formatIp(p.target);
        const r = await runExec(runner, netnsOf.get(p.from) ?? null, {
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
      }).finally(() => this.matrixBusy.delete(l.lab.name));
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
    wss.handleUpgrade(req, socket, head, (ws) => {
      const work = path === '/ws/term' ? this.openTerminal(ws, query) : this.openCapture(ws, query);
      work.catch((err: unknown) => refuse(ws, err, this.deps.log));
    });
  }

  private async openTerminal(ws: WebSocket, query: Record<string, string>): Promise<void> {
    const q = parse(TerminalQuery, query);
    if (!this.terminals) throw new AppError('Unsupported', 'terminals are not available in this server');
    const { lab } = await this.lab(q.lab);
    const netns = nodeNetns(lab, q.node);
    if (ws.readyState !== ws.OPEN) return;
    await this.terminals.open(ws, { node: q.node, netns, cols: q.cols, rows: q.rows });
  }

  private async openCapture(ws: WebSocket, query: Record<string, string>): Promise<void> {
    const q = parse(CaptureQuery, query);
    if (!this.captures) throw new AppError('Unsupported', 'capture is not available in this server');
    const { lab } = await this.lab(q.lab);
    const end = q.end as 0 | 1;
    const { ifname, netns } = linkEnd(lab, q.link, end);
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
  404: ToolCloseCode.NotFound,
  409: ToolCloseCode.Conflict,
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
