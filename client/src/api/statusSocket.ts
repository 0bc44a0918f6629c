/**
 * The /ws status socket: parses ServerMessages with the shared schema, re-subscribes after reconnecting
 * with exponential backoff (capped), and reports connected/disconnected. Knows nothing about React.
 */
import { type ClientMessage, ServerMessage } from '../../../shared/api';
import { WS_PROTOCOL } from '../../../shared/session';

export interface StatusSocketHandlers {
  onMessage(m: ServerMessage): void;
  onState(s: 'connecting' | 'connected' | 'disconnected'): void;
}

export interface StatusSocketOptions {
  url?: string;
  minDelayMs?: number;
  maxDelayMs?: number;
  WebSocketImpl?: typeof WebSocket;
}

export function backoffDelay(attempt: number, min = 500, max = 10_000): number {
  return Math.min(max, min * 2 ** Math.max(0, attempt));
}

export class StatusSocket {
  private ws: WebSocket | null = null;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  private lab: string | null = null;

  constructor(
    private readonly handlers: StatusSocketHandlers,
    private readonly opts: StatusSocketOptions = {},
  ) {}

  start(): void {
    this.closed = false;
    this.open();
  }

  subscribe(lab: string): void {
    if (this.lab && this.lab !== lab) this.send({ type: 'unsubscribe', lab: this.lab });
    this.lab = lab;
    this.send({ type: 'subscribe', lab });
  }

  stop(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.ws?.close();
    this.ws = null;
  }

  private url(): string {
    if (this.opts.url) return this.opts.url;
    const { protocol, host } = window.location;
    return `${protocol === 'https:' ? 'wss' : 'ws'}://${host}/ws`;
  }

  private send(m: ClientMessage): void {
    if (this.ws?.readyState === 1) this.ws.send(JSON.stringify(m));
  }

  private open(): void {
    const Impl = this.opts.WebSocketImpl ?? WebSocket;
    this.handlers.onState('connecting');
    let ws: WebSocket;
    try {
      ws = new Impl(this.url(), [WS_PROTOCOL]);
    } catch {
      this.retry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.handlers.onState('connected');
      if (this.lab) this.send({ type: 'subscribe', lab: this.lab });
    };
    ws.onmessage = (ev) => {
      let json: unknown;
      try {
        json = JSON.parse(String(ev.data));
      } catch {
        return;
      }
      const m = ServerMessage.safeParse(json);
      if (m.success) this.handlers.onMessage(m.data);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.handlers.onState('disconnected');
      this.retry();
    };
    ws.onerror = () => ws.close();
  }

  private retry(): void {
    if (this.closed) return;
    const delay = backoffDelay(this.attempt++, this.opts.minDelayMs, this.opts.maxDelayMs);
    this.timer = setTimeout(() => this.open(), delay);
  }
}
