/**
 * The WireGuard cross-platform userspace API (UAPI): the text protocol `wg` speaks to wireguard-go's unix
 * socket (`get=1` / `set=1`, `key=value` lines, a blank line ends a message, `errno=N` answers). Building
 * and parsing are pure; `uapiRequest` does one exchange over a socket path. A `get` answer carries the
 * device's private key: the parser drops it on the spot and keeps only its public half.
 */
import { createConnection } from 'node:net';
import { type PrivateKey, publicKeyOf } from './keys';

export interface PeerConfig {
  /** base64, as `wg` prints it. */
  publicKey: string;
  /** `192.0.2.1:51820` or `[fd00::1]:51820`. */
  endpoint?: string;
  /** Canonical networks. */
  allowedIps: string[];
  persistentKeepalive?: number;
}

export interface DeviceConfig {
  privateKey: PrivateKey;
  /** Absent: the device keeps (or picks) its own port. */
  listenPort?: number;
  peers: PeerConfig[];
}

export interface PeerState {
  publicKey: string;
  endpoint?: string;
  allowedIps: string[];
  /** Seconds; 0 = off. */
  persistentKeepalive: number;
  /** Milliseconds since the epoch of the last completed handshake; null = none yet. */
  lastHandshakeMs: number | null;
  rxBytes: number;
  txBytes: number;
}

export interface DeviceState {
  /** Public key of the device (its private key is never kept); null when it has none. */
  publicKey: string | null;
  listenPort: number;
  peers: PeerState[];
}

export class UapiError extends Error {
  constructor(
    message: string,
    /** errno the daemon answered with (positive), or 0 for a transport/protocol failure. */
    readonly errno: number,
  ) {
    super(message);
  }
}

const hex = (base64: string): string => Buffer.from(base64, 'base64').toString('hex');
const b64 = (hexText: string): string => Buffer.from(hexText, 'hex').toString('base64');

/** `address:port` the way WireGuard writes an endpoint (IPv6 in brackets). */
export const endpointText = (address: string, port: number): string =>
  address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;

/** A `set=1` message that makes the device exactly `config` (every other peer is removed). */
export function setRequest(config: DeviceConfig): string {
  const lines = ['set=1', `private_key=${hex(config.privateKey.reveal())}`];
  if (config.listenPort !== undefined) lines.push(`listen_port=${config.listenPort}`);
  lines.push('replace_peers=true');
  for (const p of config.peers) {
    lines.push(`public_key=${hex(p.publicKey)}`);
    if (p.endpoint !== undefined) lines.push(`endpoint=${p.endpoint}`);
    lines.push(`persistent_keepalive_interval=${p.persistentKeepalive ?? 0}`);
    lines.push('replace_allowed_ips=true');
    for (const a of p.allowedIps) lines.push(`allowed_ip=${a}`);
  }
  return `${lines.join('\n')}\n\n`;
}

export const GET_REQUEST = 'get=1\n\n';

/** The errno of an answer (`errno=N` is its last line); throws UapiError when there is none or it is not 0. */
function checkErrno(text: string): void {
  const m = /(?:^|\n)errno=(-?\d+)\n/.exec(text);
  if (!m) throw new UapiError('the WireGuard daemon answered without an errno line', 0);
  const errno = Number(m[1]);
  if (errno !== 0) throw new UapiError(`the WireGuard daemon refused the request (errno ${errno})`, errno);
}

/** Checks a `set` answer. */
export function parseSet(text: string): void {
  checkErrno(text);
}

/** A `get=1` answer → the device's state; the private key is read only to derive its public key. */
export function parseGet(text: string): DeviceState {
  checkErrno(text);
  const state: DeviceState = { publicKey: null, listenPort: 0, peers: [] };
  let peer: PeerState | null = null;
  let hsSec = 0;
  let hsNsec = 0;
  const closePeer = () => {
    if (peer) peer.lastHandshakeMs = hsSec === 0 && hsNsec === 0 ? null : hsSec * 1000 + Math.floor(hsNsec / 1e6);
  };
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    if (key === 'private_key') {
      state.publicKey = /^[0-9a-f]{64}$/.test(value) && !/^0+$/.test(value) ? publicKeyOf(b64(value)) : null;
    } else if (key === 'listen_port' && !peer) state.listenPort = Number(value);
    else if (key === 'public_key') {
      closePeer();
      peer = {
        publicKey: b64(value),
        allowedIps: [],
        persistentKeepalive: 0,
        lastHandshakeMs: null,
        rxBytes: 0,
        txBytes: 0,
      };
      hsSec = 0;
      hsNsec = 0;
      state.peers.push(peer);
    } else if (peer) {
      if (key === 'endpoint') peer.endpoint = value;
      else if (key === 'allowed_ip') peer.allowedIps.push(value);
      else if (key === 'persistent_keepalive_interval') peer.persistentKeepalive = Number(value);
      else if (key === 'last_handshake_time_sec') hsSec = Number(value);
      else if (key === 'last_handshake_time_nsec') hsNsec = Number(value);
      else if (key === 'rx_bytes') peer.rxBytes = Number(value);
      else if (key === 'tx_bytes') peer.txBytes = Number(value);
    }
  }
  closePeer();
  return state;
}

/** Does a running device already have `config`? (A reconfigure would restart every peer's session.) */
export function sameConfig(state: DeviceState, config: DeviceConfig): boolean {
  if (state.publicKey !== config.privateKey.publicKey()) return false;
  if (config.listenPort !== undefined && state.listenPort !== config.listenPort) return false;
  if (state.peers.length !== config.peers.length) return false;
  const byKey = new Map(state.peers.map((p) => [p.publicKey, p]));
  return config.peers.every((want) => {
    const have = byKey.get(want.publicKey);
    return (
      have !== undefined &&
      (want.endpoint === undefined || have.endpoint === want.endpoint) &&
      have.persistentKeepalive === (want.persistentKeepalive ?? 0) &&
      [...have.allowedIps].sort().join() === [...want.allowedIps].sort().join()
    );
  });
}

/** One request/answer over the UAPI socket at `path` (an answer ends with a blank line). */
export function uapiRequest(path: string, request: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = createConnection({ path });
    let text = '';
    let done = false;
    const finish = (err: Error | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(text);
    };
    const timer = setTimeout(
      () => finish(new UapiError(`no answer from ${path} within ${timeoutMs} ms`, 0)),
      timeoutMs,
    );
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(request));
    sock.on('data', (chunk: string) => {
      text += chunk;
      if (text.endsWith('\n\n')) finish(null);
    });
    sock.on('error', (e) => finish(new UapiError(`cannot reach the WireGuard daemon at ${path}: ${e.message}`, 0)));
    sock.on('close', () => finish(text.endsWith('\n\n') ? null : new UapiError(`${path} closed before answering`, 0)));
  });
}
