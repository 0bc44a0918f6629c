/**
 * Server test harness: createApp on an ephemeral loopback port with a fake (or real) engine and a throwaway
 * state dir; raw HTTP requests with full control over Host/Origin/Cookie (fetch forbids those headers);
 * WebSocket clients that queue messages so tests can await the next one of a kind. No fixed sleeps.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import type { ServerMessage } from '../../shared';
import { type App, type AppDeps, createApp } from '../app';
import type { Engine } from '../engine/contract';
import { silentLogger } from '../log';
import type { Example } from '../store/labFiles';
import { LabStore } from '../store/labStore';
import { FakeEngine } from './fakeEngine';

export const TEST_TOKEN = 'test-token-0123456789abcdef0123456789abcdef';

export interface TestServer<E extends Engine = FakeEngine> extends App {
  engine: E;
  store: LabStore;
  port: number;
  base: string;
  stateDir: string;
  req(method: string, path: string, opts?: ReqOptions): Promise<Res>;
  /** Same as req with the bearer token. */
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Res>;
  ws(opts?: { headers?: Record<string, string>; subscribe?: string }): Promise<TestSocket>;
  stop(): Promise<void>;
}

export interface ReqOptions {
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface Res {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: parsed JSON for assertions
  json: any;
}

export async function startTestServer<E extends Engine = FakeEngine>(
  opts: Partial<AppDeps> & { engine?: E; examples?: Example[] } = {},
): Promise<TestServer<E>> {
  const stateDir = await mkdtemp(join(tmpdir(), 'netloom-test-'));
  const log = silentLogger();
  const store = opts.store ?? (await LabStore.open(stateDir, log));
  const engine = (opts.engine ?? new FakeEngine()) as E;
  const app = createApp({
    token: TEST_TOKEN,
    mode: engine.mode,
    staticDir: null,
    statusIntervalMs: 50,
    ...opts,
    engine,
    store,
    log: opts.log ?? log,
  });
  await new Promise<void>((resolve) => app.server.listen(0, '127.0.0.1', resolve));
  const port = (app.server.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}`;
  const sockets = new Set<TestSocket>();

  const req = (method: string, path: string, o: ReqOptions = {}): Promise<Res> =>
    new Promise((resolve, reject) => {
      const r = httpRequest(
        { host: '127.0.0.1', port, method, path, headers: { host: `127.0.0.1:${port}`, ...o.headers } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = JSON.parse(text);
            } catch {
              json = undefined;
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
          });
        },
      );
      r.on('error', reject);
      if (o.body !== undefined) r.write(o.body);
      r.end();
    });

  const api = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    req(method, path, {
      headers: {
        authorization: `Bearer ${TEST_TOKEN}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });

  const ws = async (o: { headers?: Record<string, string>; subscribe?: string } = {}) => {
    const s = await openSocket(`ws://127.0.0.1:${port}/ws`, {
      authorization: `Bearer ${TEST_TOKEN}`,
      ...o.headers,
    });
    sockets.add(s);
    await s.next('hello');
    if (o.subscribe) s.send({ type: 'subscribe', lab: o.subscribe });
    return s;
  };

  return {
    ...app,
    engine,
    store,
    port,
    base,
    stateDir,
    req,
    api,
    ws,
    async stop() {
      for (const s of sockets) s.close();
      await app.close();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

type Kind = ServerMessage['type'];
type Msg<K extends Kind> = Extract<ServerMessage, { type: K }>;

export interface TestSocket {
  ws: WebSocket;
  /** Every message received so far, in order. */
  received: ServerMessage[];
  send(msg: unknown): void;
  /** Resolves with the next not-yet-consumed message of this type (and optional predicate). */
  next<K extends Kind>(type: K, pred?: (m: Msg<K>) => boolean, timeoutMs?: number): Promise<Msg<K>>;
  /** Drops the messages already consumed by `next` (long-running tests must not measure their own backlog). */
  forget(): void;
  close(): void;
}

export function openSocket(url: string, headers: Record<string, string>, protocols?: string[]): Promise<TestSocket> {
  return new Promise((resolve, reject) => {
    const ws = protocols ? new WebSocket(url, protocols, { headers }) : new WebSocket(url, { headers });
    const received: ServerMessage[] = [];
    let consumed = 0;
    const waiters = new Set<() => void>();
    ws.on('message', (data) => {
      received.push(JSON.parse(data.toString()) as ServerMessage);
      for (const w of [...waiters]) w();
    });
    ws.on('unexpected-response', (_req, res) =>
      reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })),
    );
    ws.on('error', reject);
    ws.on('open', () =>
      resolve({
        ws,
        received,
        send: (msg) => ws.send(JSON.stringify(msg)),
        close: () => ws.terminate(),
        forget: () => {
          received.splice(0, consumed);
          consumed = 0;
        },
        next<K extends Kind>(type: K, pred?: (m: Msg<K>) => boolean, timeoutMs = 5000): Promise<Msg<K>> {
          return new Promise((res, rej) => {
            const check = () => {
              for (let i = consumed; i < received.length; i++) {
                const m = received[i] as ServerMessage;
                if (m.type === type && (!pred || pred(m as Msg<K>))) {
                  consumed = i + 1;
                  waiters.delete(check);
                  clearTimeout(timer);
                  res(m as Msg<K>);
                  return;
                }
              }
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              rej(
                new Error(`no "${type}" message within ${timeoutMs} ms; got ${received.map((m) => m.type).join(',')}`),
              );
            }, timeoutMs);
            waiters.add(check);
            check();
          });
        },
      }),
    );
  });
}

/** Live status of one lab as a client sees it: the snapshot with every later delta applied. */
export class LiveStatus {
  objects: Record<string, { state: string }> = {};
  private seen = 0;
  constructor(
    private readonly sock: TestSocket,
    private readonly lab: string,
  ) {}

  private sync(): void {
    for (; this.seen < this.sock.received.length; this.seen++) {
      const m = this.sock.received[this.seen] as ServerMessage;
      if (m.type === 'snapshot' && m.status.lab === this.lab) this.objects = { ...m.status.objects };
      if (m.type === 'delta' && m.lab === this.lab) {
        Object.assign(this.objects, m.objects);
        for (const id of m.removed) delete this.objects[id];
      }
    }
  }

  states(): Record<string, string> {
    this.sync();
    return Object.fromEntries(Object.entries(this.objects).map(([k, v]) => [k, v.state]));
  }

  /** Polls (without sleeping blindly: re-checks on every message) until `pred` holds for the states. */
  async waitFor(pred: (states: Record<string, string>) => boolean, timeoutMs = 5000): Promise<Record<string, string>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const st = this.states();
      if (Object.keys(st).length && pred(st)) return st;
      if (Date.now() > deadline) throw new Error(`status never matched; last: ${JSON.stringify(st)}`);
      await new Promise<void>((r) => {
        const done = () => {
          this.sock.ws.off('message', done);
          clearTimeout(t);
          r();
        };
        const t = setTimeout(done, 100);
        this.sock.ws.on('message', done);
      });
    }
  }
}
