/**
 * Status hub: live status over /ws. Sockets subscribe to labs; each tick takes ONE engine sample per lab that
 * has subscribers (none without), computes rates from successive counters, and sends a snapshot to new
 * subscribers and a delta (changed objects only) to the others. Also forwards operation progress/results.
 * Slow sockets are dropped, not buffered without bound; dead ones are found by ping/pong.
 */
import type { WebSocket } from 'ws';
import { ClientMessage, LabName, type LabStatus, type Mode, type ObjectStatus, type ServerMessage } from '../../shared';
import type { Engine } from '../engine/contract';
import type { Logger } from '../log';
import type { OperationEvent } from '../ops/queue';
import type { LabStore } from '../store/labStore';

export interface HubOptions {
  engine: Engine;
  store: LabStore;
  log: Logger;
  mode: Mode;
  /** Sampling period per subscribed lab (ms). */
  intervalMs?: number;
  /** Ping period; a socket that missed the previous pong is terminated (ms). */
  heartbeatMs?: number;
  /** A socket with more than this many bytes queued is dropped. */
  maxBufferedBytes?: number;
  /** Labs one socket may watch at once. */
  maxSubscriptions?: number;
}

/**
 * More live data for a lab's subscribers (e.g. exercise grading, server/exercise): told when a socket starts
 * watching a lab, with a send function that obeys the hub's back-pressure rules; returns what to call when
 * the socket stops watching it.
 */
export interface LabChannel {
  watch(lab: string, send: (msg: ServerMessage) => void): () => void;
}

/**
 * Live data that is not a lab (classroom mode's teacher dashboard): a socket sends `{type:'watch', topic}`;
 * the topic is told with a send function (the hub's back-pressure rules) and returns what stops it. A hub
 * without the topic refuses it: each student world has its own hub, so only the teacher's carries `classroom`.
 */
export type TopicWatch = (send: (msg: ServerMessage) => void) => () => void;

interface Client {
  ws: WebSocket;
  labs: Set<string>;
  alive: boolean;
  /** Per watched lab: the channels' stop functions. */
  stops: Map<string, (() => void)[]>;
  /** Per watched topic: its stop function. */
  topics: Map<string, () => void>;
}

interface Watch {
  subscribers: Set<Client>;
  /** Clients still waiting for their first snapshot. */
  needSnapshot: Set<Client>;
  /** The status last sent (the baseline of the next delta). */
  last: LabStatus | null;
  /** Previous counter sample per object, for rates. */
  counters: Map<string, { t: number; rx: number; tx: number; seen: number }>;
  /** Samples taken (marks which counter entries the latest sample still had). */
  tick: number;
  sampling: boolean;
  lastError: string | null;
}

export class StatusHub {
  private readonly clients = new Set<Client>();
  private readonly watches = new Map<string, Watch>();
  private readonly channels: LabChannel[] = [];
  private readonly topics = new Map<string, TopicWatch>();
  private readonly o: Required<HubOptions>;
  private readonly tickTimer: NodeJS.Timeout;
  private readonly heartbeatTimer: NodeJS.Timeout;
  private closed = false;

  constructor(opts: HubOptions) {
    this.o = { intervalMs: 1000, heartbeatMs: 30_000, maxBufferedBytes: 1 << 20, maxSubscriptions: 32, ...opts };
    this.tickTimer = setInterval(() => this.tick(), this.o.intervalMs);
    this.heartbeatTimer = setInterval(() => this.heartbeat(), this.o.heartbeatMs);
    this.tickTimer.unref();
    this.heartbeatTimer.unref();
  }

  get socketCount(): number {
    return this.clients.size;
  }

  /** Registers a channel: every later subscription to a lab is handed to it too. */
  addChannel(channel: LabChannel): void {
    this.channels.push(channel);
  }

  /** Registers a topic sockets may watch (`{type:'watch', topic}`). */
  addTopic(name: string, watch: TopicWatch): void {
    this.topics.set(name, watch);
  }

  /** Takes over an accepted socket: hello, then subscribe/unsubscribe messages. */
  add(ws: WebSocket): void {
    const client: Client = { ws, labs: new Set(), alive: true, stops: new Map(), topics: new Map() };
    this.clients.add(client);
    ws.on('pong', () => {
      client.alive = true;
    });
    ws.on('message', (data, isBinary) => {
      if (isBinary) this.send(client, { type: 'error', message: 'expected a JSON text message' });
      else this.onMessage(client, data.toString());
    });
    ws.on('close', () => this.remove(client));
    ws.on('error', (err) => {
      this.o.log.debug({ err: String(err) }, 'socket error');
      this.remove(client);
    });
    this.send(client, { type: 'hello', mode: this.o.mode });
  }

  /** Operation progress/results go to the lab's subscribers (a recover's result to everyone). */
  onOperation(e: OperationEvent): void {
    if (e.type === 'progress') {
      const { operationId, lab, progress } = e;
      this.broadcast(this.watches.get(lab)?.subscribers, {
        type: 'progress',
        operationId,
        lab,
        step: progress.step,
        total: progress.total,
        phase: progress.phase,
        ...(progress.command !== undefined ? { command: progress.command } : {}),
        ...(progress.object !== undefined ? { object: progress.object } : {}),
      });
      return;
    }
    const w = this.watches.get(e.result.lab);
    this.broadcast(e.result.action === 'recover' ? this.clients : w?.subscribers, { type: 'result', result: e.result });
    // The host just changed: show it now rather than at the next tick.
    if (w) void this.sample(e.result.lab);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.tickTimer);
    clearInterval(this.heartbeatTimer);
    for (const c of this.clients) {
      for (const stops of c.stops.values()) for (const stop of stops) stop();
      for (const stop of c.topics.values()) stop();
      c.ws.terminate();
    }
    this.clients.clear();
    this.watches.clear();
  }

  private onMessage(client: Client, text: string): void {
    let parsed: ReturnType<typeof ClientMessage.safeParse>;
    try {
      parsed = ClientMessage.safeParse(JSON.parse(text));
    } catch {
      this.send(client, { type: 'error', message: 'messages are JSON' });
      return;
    }
    if (!parsed.success) this.send(client, { type: 'error', message: 'unknown message' });
    else if (parsed.data.type === 'watch' || parsed.data.type === 'unwatch') this.onTopic(client, parsed.data);
    else if (!LabName.safeParse(parsed.data.lab).success)
      this.send(client, { type: 'error', message: 'invalid lab name' });
    else if (parsed.data.type === 'unsubscribe') this.unsubscribe(client, parsed.data.lab);
    else void this.subscribe(client, parsed.data.lab);
  }

  private onTopic(client: Client, m: { type: 'watch' | 'unwatch'; topic: string }): void {
    const running = client.topics.get(m.topic);
    if (m.type === 'unwatch') {
      running?.();
      client.topics.delete(m.topic);
      return;
    }
    const topic = this.topics.get(m.topic);
    if (!topic) {
      this.send(client, { type: 'error', message: `no topic "${m.topic.slice(0, 40)}" here` });
      return;
    }
    running?.();
    client.topics.set(
      m.topic,
      topic((msg) => this.send(client, msg)),
    );
  }

  private async subscribe(client: Client, lab: string): Promise<void> {
    if (client.labs.has(lab)) {
      // Subscribing again (e.g. the canvas re-opened the lab) asks for a fresh full picture.
      const w = this.watches.get(lab);
      if (w?.last) this.send(client, { type: 'snapshot', status: w.last });
      else w?.needSnapshot.add(client);
      return;
    }
    if (client.labs.size >= this.o.maxSubscriptions)
      return this.send(client, { type: 'error', message: `at most ${this.o.maxSubscriptions} labs per socket` });
    if (!(await this.o.store.get(lab))) return this.send(client, { type: 'error', message: `no lab named "${lab}"` });
    if (!this.clients.has(client)) return; // closed meanwhile
    client.labs.add(lab);
    let w = this.watches.get(lab);
    if (!w) {
      w = {
        subscribers: new Set(),
        needSnapshot: new Set(),
        last: null,
        counters: new Map(),
        tick: 0,
        sampling: false,
        lastError: null,
      };
      this.watches.set(lab, w);
    }
    w.subscribers.add(client);
    if (this.channels.length)
      client.stops.set(
        lab,
        this.channels.map((c) => c.watch(lab, (msg) => this.send(client, msg))),
      );
    if (w.last) this.send(client, { type: 'snapshot', status: w.last });
    else {
      w.needSnapshot.add(client);
      void this.sample(lab);
    }
  }

  private unsubscribe(client: Client, lab: string): void {
    client.labs.delete(lab);
    for (const stop of client.stops.get(lab) ?? []) stop();
    client.stops.delete(lab);
    const w = this.watches.get(lab);
    if (!w) return;
    w.subscribers.delete(client);
    w.needSnapshot.delete(client);
    if (w.subscribers.size === 0) this.watches.delete(lab);
  }

  private remove(client: Client): void {
    if (!this.clients.delete(client)) return;
    for (const lab of [...client.labs]) this.unsubscribe(client, lab);
    for (const stop of client.topics.values()) stop();
    client.topics.clear();
  }

  private tick(): void {
    if (this.closed) return;
    for (const lab of this.watches.keys()) void this.sample(lab);
  }

  /** One engine sample of `lab`, shared by all its subscribers. At most one in flight per lab. */
  private async sample(lab: string): Promise<void> {
    const w = this.watches.get(lab);
    if (!w || w.sampling || this.closed) return;
    w.sampling = true;
    const t0 = performance.now();
    try {
      const doc = await this.o.store.getShared(lab);
      if (!doc) {
        this.broadcast(w.subscribers, { type: 'error', message: `lab "${lab}" was deleted` });
        for (const c of [...w.subscribers]) this.unsubscribe(c, lab);
        return;
      }
      const status = await this.o.engine.status(doc.lab, { observed: doc.revision, applied: doc.appliedRevision });
      if (this.watches.get(lab) !== w) return; // everyone left meanwhile
      addRates(w, status, Date.now());
      const fresh = [...w.needSnapshot].filter((c) => w.subscribers.has(c));
      w.needSnapshot.clear();
      if (fresh.length) this.broadcast(fresh, { type: 'snapshot', status });
      const rest = [...w.subscribers].filter((c) => !fresh.includes(c));
      const delta = w.last ? diff(w.last, status) : null;
      if (delta && rest.length) this.broadcast(rest, delta);
      w.last = status;
      w.lastError = null;
      this.o.log.debug(
        { lab, ms: Math.round((performance.now() - t0) * 10) / 10, objects: Object.keys(status.objects).length },
        'status sample',
      );
    } catch (err) {
      const message = `status of "${lab}" unavailable`;
      this.o.log.warn({ lab, err: String(err) }, 'status sample failed');
      if (w.lastError !== message) this.broadcast(w.subscribers, { type: 'error', message });
      w.lastError = message;
    } finally {
      w.sampling = false;
    }
  }

  private heartbeat(): void {
    for (const c of this.clients) {
      if (!c.alive) {
        this.o.log.debug('socket missed a pong; dropped');
        c.ws.terminate();
        this.remove(c);
        continue;
      }
      c.alive = false;
      try {
        c.ws.ping();
      } catch {
        this.remove(c);
      }
    }
  }

  private broadcast(to: Iterable<Client> | undefined, msg: ServerMessage): void {
    if (!to) return;
    const text = JSON.stringify(msg); // serialized once for every recipient
    for (const c of [...to]) this.sendText(c, text);
  }

  private send(client: Client, msg: ServerMessage): void {
    this.sendText(client, JSON.stringify(msg));
  }

  private sendText(client: Client, text: string): void {
    const ws = client.ws;
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount + text.length > this.o.maxBufferedBytes) {
      // A reader that cannot keep up is dropped; it reconnects and gets a fresh snapshot.
      this.o.log.warn({ buffered: ws.bufferedAmount }, 'slow socket dropped');
      ws.terminate();
      this.remove(client);
      return;
    }
    ws.send(text);
  }
}

/**
 * Bytes per second from the previous counter sample of each object (a counter reset gives 0, not < 0).
 * Runs over every object of the lab once per tick: the previous samples are updated in place, and an
 * object's entry goes when a sample no longer has counters for it.
 */
function addRates(w: Watch, status: LabStatus, now: number): void {
  const seen = ++w.tick;
  const objects = status.objects;
  for (const id in objects) {
    const obj = objects[id]!;
    const c = obj.counters;
    if (!c) continue;
    const prev = w.counters.get(id);
    if (!prev) {
      w.counters.set(id, { t: now, rx: c.rxBytes, tx: c.txBytes, seen });
      continue;
    }
    if (now > prev.t && obj.rates === undefined) {
      const dt = (now - prev.t) / 1000;
      obj.rates = {
        rxBps: Math.max(0, (c.rxBytes - prev.rx) / dt),
        txBps: Math.max(0, (c.txBytes - prev.tx) / dt),
      };
    }
    prev.t = now;
    prev.rx = c.rxBytes;
    prev.tx = c.txBytes;
    prev.seen = seen;
  }
  for (const [id, prev] of w.counters) if (prev.seen !== seen) w.counters.delete(id);
}

/** Changed objects only; null when nothing worth sending changed (the sample time alone is not news). */
export function diff(prev: LabStatus, next: LabStatus): Extract<ServerMessage, { type: 'delta' }> | null {
  const objects: Record<string, ObjectStatus> = {};
  let changed = 0;
  for (const id in next.objects) {
    const obj = next.objects[id]!;
    const before = prev.objects[id];
    if (!before || !sameJson(before, obj)) {
      objects[id] = obj;
      changed++;
    }
  }
  const removed: string[] = [];
  for (const id in prev.objects) if (!(id in next.objects)) removed.push(id);
  const same =
    changed === 0 &&
    removed.length === 0 &&
    prev.observedRevision === next.observedRevision &&
    prev.appliedRevision === next.appliedRevision;
  if (same) return null;
  return {
    type: 'delta',
    lab: next.lab,
    at: next.at,
    observedRevision: next.observedRevision,
    appliedRevision: next.appliedRevision,
    objects,
    removed,
  };
}

/**
 * Deep equality of JSON-like values as they would be sent: key order does not count, and a key whose value
 * is undefined is the same as no key (JSON drops it). Allocates nothing: the hub compares every object of
 * a lab once per tick.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let defined = 0;
  for (const k in x) {
    if (x[k] === undefined) continue;
    defined++;
    if (!sameJson(x[k], y[k])) return false;
  }
  for (const k in y) if (y[k] !== undefined) defined--;
  return defined === 0;
}
