/**
 * The classroom's HTTP + WebSocket front door. Each request is handed by its principal
 * (`Classroom.registry.principalOf`, THE swap point with the sessions registry):
 * - a student → their own world's app (created on first use): all of /api, /ws, /ws/term, /ws/capture and
 *   the canvas, scoped to their sandbox and their labs; terminals and captures counted against their quota;
 * - the teacher → `/api/classroom*` (dashboard, push, CSV), `/classroom/view/ID/…` (a student's world,
 *   read-only: GET and the status socket only), and otherwise the teacher's own app (their sandbox);
 * - anyone else → the teacher's app, which refuses them (401).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import express, { type NextFunction, type Request, type Response } from 'express';
import { CLASSROOM_TOPIC, PushExerciseRequest, VIEW_PREFIX } from '../../shared';
import { toErrorResponse } from '../api/errors';
import { parse } from '../api/request';
import { readCookie } from '../api/security';
import type { App } from '../app';
import { AppError } from '../errors';
import { type Logger, redactUrl } from '../log';
import type { Classroom } from './classroom';
import { resultsCsv } from './csv';
import type { Principal } from './principal';

export interface ClassroomServer {
  server: Server;
  close(): Promise<void>;
}

function sendError(res: ServerResponse, err: unknown, log: Logger, req: IncomingMessage): void {
  const { status, body, unexpected } = toErrorResponse(err);
  if (unexpected) log.error({ err, url: redactUrl(req.url ?? '') }, 'unhandled error');
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function refuseUpgrade(socket: Duplex, err: unknown): void {
  const { status, body } = toErrorResponse(err);
  const text = JSON.stringify(body);
  if (socket.writable)
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
    );
  socket.destroy();
}

/** `/classroom/view/ID/rest` → [ID, /rest] (null when the path is not under the view prefix). */
export function viewTarget(url: string): [string, string] | null {
  if (!url.startsWith(`${VIEW_PREFIX}/`)) return null;
  const rest = url.slice(VIEW_PREFIX.length + 1);
  const slash = rest.indexOf('/');
  if (slash <= 0) return null;
  return [decodeURIComponent(rest.slice(0, slash)), rest.slice(slash)];
}

/** Host/Origin, then the teacher's own session (or Bearer token): the checks of the teacher's app. */
function teacherOnly(teacher: App, req: IncomingMessage, upgrade: boolean): AppError | null {
  const denied = teacher.security.checkRequest(req, { upgrade });
  if (denied) return denied;
  const auth = teacher.security.authenticate(req, { upgrade });
  return auth instanceof AppError ? auth : null;
}

/** Who a session cookie belongs to: the teacher's app, or the student world whose session store minted it. */
function sessionPrincipal(classroom: Classroom, teacher: App, req: IncomingMessage): Principal | null {
  const id = readCookie(req.headers.cookie, teacher.security.cookieName(req));
  if (!id) return null;
  if (teacher.security.sessions.lookup(id)) return classroom.teacher;
  for (const s of classroom.students)
    if (classroom.openedWorld(s.id)?.app.security.sessions.lookup(id))
      return { id: s.id, role: 'student', label: s.label };
  return null;
}

/** The teacher's classroom API (mounted at /api/classroom). */
function classroomApi(classroom: Classroom, teacher: App, log: Logger): express.Express {
  const api = express();
  api.disable('x-powered-by');
  api.set('etag', false);
  api.use((req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    next(teacherOnly(teacher, req, false) ?? undefined);
  });
  api.use(express.json({ limit: '16kb', strict: true }));
  api.get('/api/classroom', (_req, res) => {
    res.json(classroom.dashboard());
  });
  api.post('/api/classroom/push', async (req, res) => {
    const body = parse(PushExerciseRequest, req.body);
    await classroom.push(body.file);
    res.status(202).json(classroom.dashboard());
  });
  api.get('/api/classroom/results.csv', (_req, res) => {
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', 'attachment; filename="netloom-results.csv"');
    res.send(resultsCsv(classroom.dashboard()));
  });
  api.use((_req: Request, _res: Response, next: NextFunction) => next(new AppError('NotFound', 'not found')));
  api.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const { status, body, unexpected } = toErrorResponse(err);
    if (unexpected) log.error({ err, method: req.method, url: redactUrl(req.originalUrl) }, 'unhandled error');
    res.status(status).json(body);
  });
  return api;
}

export function createClassroomServer(classroom: Classroom, teacher: App, log: Logger): ClassroomServer {
  const api = classroomApi(classroom, teacher, log);
  teacher.hub.addTopic(CLASSROOM_TOPIC, (send) =>
    classroom.onDashboard((dashboard) => send({ type: 'classroom', dashboard })),
  );

  /** The teacher viewing student `id`: their world, entered with the student's token, never for writing. */
  const viewWorld = async (req: IncomingMessage, id: string, rest: string, upgrade: boolean) => {
    const denied = teacherOnly(teacher, req, upgrade);
    if (denied) throw denied;
    const student = classroom.student(id);
    const world = student ? classroom.openedWorld(id) : null;
    if (!student) throw new AppError('NotFound', `no student "${id}"`);
    if (!world) throw new AppError('NotFound', `${student.label} has not joined yet`);
    if (upgrade ? new URL(rest, 'http://x').pathname !== '/ws' : req.method !== 'GET' && req.method !== 'HEAD')
      throw new AppError('PermissionDenied', `viewing ${student.label} is read only`);
    req.url = rest;
    req.headers.authorization = `Bearer ${student.token}`;
    return world;
  };

  classroom.registry.sessionResolver = (req) => sessionPrincipal(classroom, teacher, req);
  const server = createServer((req, res) => {
    void (async () => {
      const url = req.url ?? '/';
      const who = classroom.registry.principalOf(req);
      if (who?.role === 'student') {
        const world = await classroom.world(who.id);
        world.app.app(req as Request, res as Response);
        return;
      }
      const path = new URL(url, 'http://x').pathname;
      if (path === '/api/classroom' || path.startsWith('/api/classroom/')) {
        api(req as Request, res as Response);
        return;
      }
      const view = viewTarget(url);
      if (view) {
        const world = await viewWorld(req, view[0], view[1], false);
        world.app.app(req as Request, res as Response);
        return;
      }
      teacher.app(req as Request, res as Response);
    })().catch((e: unknown) => sendError(res, e, log, req));
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    void (async () => {
      const who = classroom.registry.principalOf(req);
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (who?.role === 'student') {
        const world = await classroom.world(who.id);
        const quota = path === '/ws/term' ? world.terminals : path === '/ws/capture' ? world.captures : null;
        if (quota) {
          const release = quota.take();
          socket.once('close', release);
        }
        world.app.server.emit('upgrade', req, socket, head);
        return;
      }
      const view = viewTarget(req.url ?? '/');
      if (view) {
        const world = await viewWorld(req, view[0], view[1], true);
        world.app.server.emit('upgrade', req, socket, head);
        return;
      }
      teacher.server.emit('upgrade', req, socket, head);
    })().catch((e: unknown) => {
      log.info({ url: redactUrl(req.url ?? ''), err: e instanceof Error ? e.message : String(e) }, 'websocket refused');
      refuseUpgrade(socket, e);
    });
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  return {
    server,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await classroom.close();
    },
  };
}
