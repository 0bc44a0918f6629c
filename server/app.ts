/**
 * createApp(deps): the Express app, its HTTP server (not yet listening) and the /ws endpoint, wired to the
 * store, the operation queue and the status hub. Security middleware runs before everything else; errors
 * become the shared ErrorBody in one handler. Owns no engine lifecycle (serve.ts opens and closes it).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, STATUS_CODES } from 'node:http';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import express, { type NextFunction, type Request, type Response } from 'express';
import { WebSocketServer } from 'ws';
import type { Mode } from '../shared';
import { jsonBody } from './api/body';
import { toErrorResponse } from './api/errors';
import { labManagementRouter } from './api/labManagement';
import { Quotas } from './api/quotas';
import { apiRouter } from './api/routes';
import { Security, stripTokenFromUrl } from './api/security';
import { sessionRouter } from './api/sessionRoutes';
import { setPrincipal } from './api/sessions';
import { DiscoveryService } from './discovery/service';
import type { CommandRunner, Engine } from './engine/contract';
import { AppError } from './errors';
import type { CatalogueEntry } from './exercise/files';
import type { GraderOptions } from './exercise/grader';
import { ExerciseService } from './exercise/service';
import { type Logger, redactUrl } from './log';
import { OperationQueue } from './ops/queue';
import { REPO_ROOT } from './paths';
import { StatusHub } from './status/hub';
import type { Example } from './store/labFiles';
import type { LabStore } from './store/labStore';
import { ToolsService } from './tools/service';

export const BODY_LIMIT = '2mb';

export interface AppDeps {
  engine: Engine;
  store: LabStore;
  log: Logger;
  token: string;
  mode: Mode;
  /** Listen address (an allowed Host name). Default 127.0.0.1. */
  listen?: string;
  /** Ports a browser may also come through (dev: the vite server on 5173). */
  extraPorts?: number[];
  /** Built client to serve (`dist/client`); null = serve nothing (dev mode: vite serves the client). */
  staticDir?: string | null;
  examples?: Example[];
  defaultLab?: string;
  statusIntervalMs?: number;
  heartbeatMs?: number;
  version?: string;
  /** Runner of the world labs live in (sandbox or host): enables the live tools (exec, terminal, capture). */
  runner?: CommandRunner;
  /** Exercises offered (examples/exercises); graded live when a runner is given. */
  exercises?: CatalogueEntry[];
  /** Live grading period etc. (classroom mode grades 30 worlds at once). */
  grader?: GraderOptions;
}

export interface App {
  app: express.Express;
  server: Server;
  hub: StatusHub;
  ops: OperationQueue;
  security: Security;
  tools: ToolsService;
  exercises: ExerciseService;
  quotas: Quotas;
  /** Stops accepting, drops sockets and connections. Does not close the engine. */
  close(): Promise<void>;
}

/** Reads the world labs live in, loading the engine's observer on first use (as discovery does). */
const observeWith = (runner: CommandRunner) => async () => (await import('./engine/observe')).observe(runner);

export function packageVersion(): string {
  try {
    return (
      (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0'
    );
  } catch {
    return '0.0.0';
  }
}

export function createApp(deps: AppDeps): App {
  const log = deps.log;
  const security = new Security({
    token: deps.token,
    listen: deps.listen ?? '127.0.0.1',
    ...(deps.extraPorts ? { extraPorts: deps.extraPorts } : {}),
  });
  const quotas = new Quotas();
  const ops = new OperationQueue(log);
  const hub = new StatusHub({
    engine: deps.engine,
    store: deps.store,
    log,
    mode: deps.mode,
    ...(deps.statusIntervalMs ? { intervalMs: deps.statusIntervalMs } : {}),
    ...(deps.heartbeatMs ? { heartbeatMs: deps.heartbeatMs } : {}),
  });
  ops.onEvent((e) => hub.onOperation(e));
  const tools = new ToolsService({
    engine: deps.engine,
    store: deps.store,
    log,
    quotas,
    ...(deps.runner ? { runner: deps.runner } : {}),
  });

  const exercises = new ExerciseService({
    engine: deps.engine,
    store: deps.store,
    ops,
    log,
    catalogue: deps.exercises ?? [],
    ...(deps.runner ? { runner: deps.runner } : {}),
    ...(deps.grader ? { grader: deps.grader } : {}),
  });
  hub.addChannel(exercises.channel());

  const app = express();
  app.disable('x-powered-by');
  app.set('env', 'production');
  app.set('etag', false);

  // Request log: method, path (token stripped), status, time. Headers are never logged.
  app.use((req, res, next) => {
    const t0 = performance.now();
    res.on('finish', () => {
      const entry = {
        method: req.method,
        url: redactUrl(req.originalUrl),
        status: res.statusCode,
        ms: Math.round((performance.now() - t0) * 10) / 10,
      };
      if (req.path === '/healthz') log.debug(entry, 'request');
      else log.info(entry, 'request');
    });
    next();
  });

  app.use((_req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    next();
  });

  // DNS rebinding: every request (even /healthz and the page) must name us in Host.
  // Cross-site writes: every state-changing request must come from our origin or from no browser at all.
  app.use((req, _res, next) => {
    const err = security.checkRequest(req);
    next(err ?? undefined);
  });

  // A token link (the URL printed at start, or a classroom link): exchanged ONCE for a session id in an
  // HttpOnly cookie, then the token leaves the address bar with a redirect. `/api/login?token=` is the same
  // for the dev server (vite proxies /api only).
  app.use((req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const login = req.path === '/api/login';
    if (!login && (req.path.startsWith('/api/') || !('token' in req.query))) return next();
    const t = req.query.token;
    const session = typeof t === 'string' ? security.exchange(req, t) : null;
    if (!session) {
      res
        .status(401)
        .type('html')
        .send(
          page(
            'Netloom — wrong token',
            'This link carries an invalid or old token. Use the URL the server printed when it started.',
          ),
        );
      return;
    }
    res.setHeader('Set-Cookie', session.cookie);
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(302, login ? '/' : stripTokenFromUrl(req.originalUrl));
  });

  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });

  app.use(
    '/api',
    (req, res, next) => {
      res.setHeader('Cache-Control', 'no-store');
      const auth = security.authenticate(req);
      if (auth instanceof AppError) return next(auth);
      setPrincipal(req, auth.principal);
      res.locals.principal = auth.principal;
      res.locals.auth = auth;
      next();
    },
    ...jsonBody(BODY_LIMIT),
    sessionRouter(security),
    apiRouter({
      engine: deps.engine,
      store: deps.store,
      ops,
      security,
      mode: deps.mode,
      version: deps.version ?? packageVersion(),
      examples: deps.examples ?? [],
      ...(deps.defaultLab ? { defaultLab: deps.defaultLab } : {}),
      tools,
      labManagement: labManagementRouter({
        store: deps.store,
        engine: deps.engine,
        ops,
        ...(deps.runner ? { observe: observeWith(deps.runner) } : {}),
      }),
      discovery: new DiscoveryService({
        engine: deps.engine,
        store: deps.store,
        ops,
        log,
        ...(deps.runner ? { runner: deps.runner } : {}),
      }),
      exercises,
    }),
  );

  const staticDir = deps.staticDir === undefined ? join(REPO_ROOT, 'dist/client') : deps.staticDir;
  const index = staticDir ? join(staticDir, 'index.html') : null;
  if (staticDir && index && existsSync(index)) {
    app.use(express.static(staticDir, { index: false, dotfiles: 'ignore', fallthrough: true }));
    // SPA fallback: any other page path gets index.html (it embeds no secret; the cookie authenticates).
    app.get('/{*path}', (req, res, next) => {
      if (req.path.startsWith('/api/') || req.path === '/ws' || req.path.startsWith('/ws/')) return next();
      res.setHeader('Cache-Control', 'no-cache');
      res.sendFile(index);
    });
  } else {
    app.get('/', (_req, res) => {
      res
        .type('html')
        .send(
          staticDir
            ? page(
                'Netloom',
                'The canvas is not built yet: run <code>npm run build</code> (or <code>npm start</code>, which builds first), then reload.',
              )
            : page('Netloom (dev)', 'Dev mode: the canvas is served by vite (<code>npx vite</code>, port 5173).'),
        );
    });
  }

  app.use((_req: Request, _res: Response, next: NextFunction) => next(new AppError('NotFound', 'not found')));

  // The one error handler: ErrorBody everywhere, never a stack trace.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const { status, body, unexpected } = toErrorResponse(err);
    if (unexpected) log.error({ err, method: req.method, url: redactUrl(req.originalUrl) }, 'unhandled error');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(status).json(body);
  });

  const server = createServer(app);
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    // Same checks for every socket: status (/ws), terminal (/ws/term) and capture (/ws/capture).
    let release = () => {};
    const err = ((): AppError | null => {
      if (path !== '/ws' && !tools.handles(path)) return new AppError('NotFound', 'not found');
      const bad = security.checkRequest(req, { upgrade: true });
      if (bad) return bad;
      const auth = security.authenticate(req, { upgrade: true });
      if (auth instanceof AppError) return auth;
      setPrincipal(req, auth.principal);
      try {
        release = quotas.acquire(auth.principal, 'sockets');
      } catch (e) {
        return e as AppError;
      }
      return null;
    })();
    if (err) {
      log.info({ url: redactUrl(req.url ?? ''), code: err.code }, 'websocket refused');
      return refuseUpgrade(socket, toErrorResponse(err));
    }
    socket.once('close', release);
    if (path === '/ws') wss.handleUpgrade(req, socket, head, (ws) => hub.add(ws));
    else tools.upgrade(path, req, socket, head);
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  const close = async (): Promise<void> => {
    hub.close();
    exercises.close();
    tools.close();
    wss.close();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  };

  return { app, server, hub, ops, security, tools, exercises, quotas, close };
}

/** A refused upgrade: the status and the ErrorBody (a quota names itself there). */
function refuseUpgrade(socket: Duplex, { status, body }: { status: number; body: unknown }): void {
  const json = JSON.stringify(body);
  if (socket.writable)
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`,
    );
  socket.destroy();
}

function page(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body style="font-family:sans-serif;max-width:40em;margin:3em auto"><h1>${title}</h1><p>${body}</p></body></html>`;
}
