/**
 * Terminals over WebSocket: one interactive bash per socket, in a pty (node-pty), inside a node's network
 * namespace and confined (`confine.ts`: its own PID + mount namespace, only CAP_NET_ADMIN/CAP_NET_RAW, as
 * `nobody` when we are root): `[...prefix, ip netns exec NS, unshare …, setpriv …] /bin/bash --norc
 * --noprofile -i`. Owns the live ptys: when the socket closes or errors the pty's `unshare` is killed, which
 * kills PID 1 of the terminal's PID namespace and so every process in it (`setsid` jobs too); at most
 * MAX_TERMINALS at once. Never a shell string.
 */
import type { IPty } from 'node-pty';
import type { WebSocket } from 'ws';
import { MAX_TERMINALS, TerminalClientMessage, type TerminalServerMessage, ToolCloseCode } from '../../shared';
import type { CommandRunner } from '../engine/contract';
import type { Logger } from '../log';
import { confinedInNetns, type Who } from './confine';
import { killSession } from './procs';

/** Above this much unsent output the pty is paused until the socket drains (a `yes` must not eat memory). */
const HIGH_WATER = 1 << 20;

export interface TerminalTarget {
  node: string;
  netns: string | null;
  cols: number;
  rows: number;
}

/** The command a terminal runs inside the node (the runner's prefix goes in front). */
export function terminalArgv(netns: string | null, who?: Who): string[] {
  return confinedInNetns(netns, ['/bin/bash', '--norc', '--noprofile', '-i'], who);
}

/**
 * A clean environment: never the server's own (it may hold NETLOOM_TOKEN). The prompt names the namespace;
 * namespace names are [A-Za-z0-9_.-] only, so they cannot smuggle prompt escapes.
 */
export function terminalEnv(netns: string | null): Record<string, string> {
  return {
    TERM: 'xterm-256color',
    PS1: `[${netns ?? 'host'}] \\w# `,
    PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    // The shell runs as `nobody` (see confine.ts): a home it may not write; history goes nowhere.
    HOME: '/tmp',
    HISTFILE: '/dev/null',
    LANG: 'C.UTF-8',
  };
}

const send = (ws: WebSocket, m: TerminalServerMessage) => {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
};

export class Terminals {
  private readonly live = new Map<number, IPty>();

  constructor(
    private readonly runner: CommandRunner,
    private readonly log: Logger,
    private readonly max = MAX_TERMINALS,
  ) {}

  /** Number of live ptys (for tests and /api/info-like reporting). */
  get count(): number {
    return this.live.size;
  }
  /** PIDs of the live ptys' session leaders. */
  pids(): number[] {
    return [...this.live.keys()];
  }

  async open(ws: WebSocket, target: TerminalTarget): Promise<void> {
    if (this.live.size >= this.max) {
      send(ws, { type: 'error', code: 'Conflict', message: `too many terminals open (at most ${this.max})` });
      ws.close(ToolCloseCode.TooMany, 'too many terminals');
      return;
    }
    const { spawn } = await import('node-pty');
    const [file, ...args] = [...this.runner.prefix, ...terminalArgv(target.netns, this.runner.tools)];
    let term: IPty;
    try {
      term = spawn(file!, args, {
        name: 'xterm-256color',
        cols: target.cols,
        rows: target.rows,
        cwd: '/tmp',
        env: terminalEnv(target.netns),
      });
    } catch (e) {
      send(ws, { type: 'error', code: 'HostCommandFailed', message: `cannot start a terminal: ${String(e)}` });
      ws.close(ToolCloseCode.Failed, 'spawn failed');
      return;
    }
    const pid = term.pid;
    this.live.set(pid, term);
    this.log.info({ pid, node: target.node, netns: target.netns }, 'terminal opened');
    let ended = false;
    const end = (why: string) => {
      if (ended) return;
      ended = true;
      this.live.delete(pid);
      // node-pty made the shell a session leader: its pid is the session id.
      killSession(pid);
      try {
        term.kill('SIGKILL');
      } catch {
        // already gone
      }
      this.log.info({ pid, why }, 'terminal closed');
    };

    let paused = false;
    const resumeWhenDrained = () => {
      if (ended) return;
      if (ws.bufferedAmount > HIGH_WATER / 2) setTimeout(resumeWhenDrained, 20);
      else {
        paused = false;
        term.resume();
      }
    };
    term.onData((data) => {
      if (ws.readyState !== ws.OPEN) return;
      ws.send(Buffer.from(data, 'utf8'));
      if (!paused && ws.bufferedAmount > HIGH_WATER) {
        paused = true;
        term.pause();
        setTimeout(resumeWhenDrained, 20);
      }
    });
    term.onExit(({ exitCode, signal }) => {
      if (!ended) {
        send(ws, { type: 'exit', exitCode, ...(signal ? { signal } : {}) });
        if (ws.readyState === ws.OPEN) ws.close(1000, 'shell exited');
      }
      end('exit');
    });
    ws.on('message', (data, isBinary) => {
      if (ended) return;
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      if (isBinary) {
        term.write(buf);
        return;
      }
      let msg: TerminalClientMessage;
      try {
        msg = TerminalClientMessage.parse(JSON.parse(buf.toString('utf8')));
      } catch {
        send(ws, { type: 'error', code: 'InvalidRequest', message: 'text frames must be JSON control messages' });
        return;
      }
      if (msg.type === 'resize') term.resize(msg.cols, msg.rows);
      else term.write(msg.data);
    });
    ws.on('close', () => end('socket closed'));
    ws.on('error', () => end('socket error'));
    send(ws, { type: 'ready', node: target.node, netns: target.netns });
  }

  /** Kills every live terminal (server shutdown). */
  closeAll(): void {
    for (const [pid, term] of this.live) {
      killSession(pid);
      try {
        term.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
    this.live.clear();
  }
}
