/**
 * WireGuard's pure parts: keys (RFC 7748 vector, storage modes, never printed), the UAPI text protocol (a
 * `get` answer as wireguard-go wrote it in a sandbox, the private key replaced by RFC 7748's), /proc
 * parsing, the capability decision, and lab → per-interface specs and shell lines (key file, never key).
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Lab } from '../../shared';
import { wireguardLab } from '../../shared/testing/wireguard';
import { REDACT_PATHS } from '../log';
import { capability } from './capability';
import { deviceConfig, shellLines, wireguardSpecs } from './config';
import { generatePrivateKey, isKey, PrivateKey, publicKeyOf, WireguardKeys } from './keys';
import { parseEnviron, parseStatComm, parseStatStart } from './procfs';
import { endpointText, parseGet, parseSet, sameConfig, setRequest, UapiError } from './uapi';

// RFC 7748 §6.1: Alice's private key and the public key X25519 derives from it.
const ALICE_HEX = '77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a';
const ALICE_PUB_HEX = '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a';
const b64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');
const ALICE = b64(ALICE_HEX);
const ALICE_PUB = b64(ALICE_PUB_HEX);

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'netloom-wg-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('keys', () => {
  it('derive the public key with X25519 (RFC 7748 test vector)', () => {
    expect(publicKeyOf(ALICE)).toBe(ALICE_PUB);
    expect(new PrivateKey(ALICE).publicKey()).toBe(ALICE_PUB);
  });

  it('are generated clamped, in the format `wg genkey` prints', () => {
    const raw = Buffer.from(generatePrivateKey().reveal(), 'base64');
    expect(raw).toHaveLength(32);
    expect(raw[0]! & 7).toBe(0);
    expect(raw[31]! & 0xc0).toBe(0x40);
    expect(isKey(generatePrivateKey().reveal())).toBe(true);
  });

  it('never print themselves: JSON, string, inspect and a pino line show "[redacted]"', () => {
    const k = new PrivateKey(ALICE);
    expect(JSON.stringify({ k })).toBe('{"k":"[redacted]"}');
    expect(`${k}`).toBe('[redacted]');
    expect(inspect({ k })).not.toContain(ALICE);
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const log = pino({ redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, sink);
    log.info({ key: k, privateKey: ALICE, config: { privateKey: ALICE }, peer: { private_key: ALICE_HEX } }, 'x');
    expect(lines.join('')).not.toContain(ALICE);
    expect(lines.join('')).not.toContain(ALICE_HEX);
  });

  it('are stored once per lab interface, 0600 in 0700 directories, and forgotten with the lab', () => {
    const dir = tempDir();
    const keys = WireguardKeys.open(dir);
    expect(keys.find('vpn', 'a', 'wg0')).toBeNull();
    const k = keys.get('vpn', 'a', 'wg0');
    expect(keys.get('vpn', 'a', 'wg0').reveal()).toBe(k.reveal());
    expect(WireguardKeys.open(dir).publicKey('vpn', 'a', 'wg0')).toBe(k.publicKey());
    expect(keys.get('vpn', 'b', 'wg0').reveal()).not.toBe(k.reveal());
    const file = keys.path('vpn', 'a', 'wg0');
    expect(readFileSync(file, 'utf8')).toBe(`${k.reveal()}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'secrets')).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'secrets', 'vpn', 'a')).mode & 0o777).toBe(0o700);
    keys.forget('vpn');
    expect(keys.find('vpn', 'a', 'wg0')).toBeNull();
    expect(() => keys.path('../x', 'a', 'wg0')).toThrow();
  });
});

/** wireguard-go's answer to get=1 (captured in a sandbox; its private key replaced by RFC 7748's). */
const GET_ANSWER =
  `private_key=${ALICE_HEX}\nlisten_port=51820\n` +
  'public_key=e23c67575ef6f073cbd9e4006e911265cee022bd29edc2d149d14ad702f5107f\n' +
  'preshared_key=0000000000000000000000000000000000000000000000000000000000000000\nprotocol_version=1\n' +
  'endpoint=192.0.2.2:51820\nlast_handshake_time_sec=1796172885\nlast_handshake_time_nsec=369034178\n' +
  'tx_bytes=404\nrx_bytes=348\npersistent_keepalive_interval=0\nallowed_ip=10.99.0.2/32\nerrno=0\n\n';
const PEER = b64('e23c67575ef6f073cbd9e4006e911265cee022bd29edc2d149d14ad702f5107f');

describe('UAPI', () => {
  it('parses a get answer into peers and counters, keeping only the public half of the device key', () => {
    const s = parseGet(GET_ANSWER);
    expect(s).toEqual({
      publicKey: ALICE_PUB,
      listenPort: 51820,
      peers: [
        {
          publicKey: PEER,
          endpoint: '192.0.2.2:51820',
          allowedIps: ['10.99.0.2/32'],
          persistentKeepalive: 0,
          lastHandshakeMs: 1796172885369,
          rxBytes: 348,
          txBytes: 404,
        },
      ],
    });
    expect(JSON.stringify(s)).not.toContain(ALICE_HEX);
    expect(parseGet(`listen_port=4000\npublic_key=${'11'.repeat(32)}\nerrno=0\n\n`).peers[0]).toMatchObject({
      lastHandshakeMs: null,
    });
  });

  it('writes a set that replaces every peer and its allowed IPs', () => {
    const text = setRequest({
      privateKey: new PrivateKey(ALICE),
      listenPort: 51820,
      peers: [
        {
          publicKey: PEER,
          endpoint: '[fd00::2]:51820',
          allowedIps: ['10.99.0.2/32', 'fd99::/64'],
          persistentKeepalive: 25,
        },
      ],
    });
    expect(text).toBe(
      `set=1\nprivate_key=${ALICE_HEX}\nlisten_port=51820\nreplace_peers=true\n` +
        'public_key=e23c67575ef6f073cbd9e4006e911265cee022bd29edc2d149d14ad702f5107f\nendpoint=[fd00::2]:51820\n' +
        'persistent_keepalive_interval=25\nreplace_allowed_ips=true\nallowed_ip=10.99.0.2/32\nallowed_ip=fd99::/64\n\n',
    );
    expect(endpointText('fd00::2', 51820)).toBe('[fd00::2]:51820');
    expect(endpointText('192.0.2.1', 1)).toBe('192.0.2.1:1');
  });

  it('reports a refused request by its errno', () => {
    expect(() => parseSet('errno=22\n\n')).toThrow(UapiError);
    expect(() => parseSet('errno=22\n\n')).toThrow(/errno 22/);
    expect(() => parseGet('listen_port=1\n\n')).toThrow(/without an errno/);
    expect(() => parseSet('errno=0\n\n')).not.toThrow();
  });

  it('tells a running device that already has the config from one that needs a set', () => {
    const state = parseGet(GET_ANSWER);
    const config = {
      privateKey: new PrivateKey(ALICE),
      listenPort: 51820,
      peers: [{ publicKey: PEER, endpoint: '192.0.2.2:51820', allowedIps: ['10.99.0.2/32'] }],
    };
    expect(sameConfig(state, config)).toBe(true);
    expect(sameConfig(state, { ...config, listenPort: 51821 })).toBe(false);
    expect(sameConfig(state, { ...config, peers: [{ ...config.peers[0]!, allowedIps: ['10.99.0.0/24'] }] })).toBe(
      false,
    );
    expect(sameConfig(state, { ...config, privateKey: generatePrivateKey() })).toBe(false);
    expect(sameConfig(state, { ...config, peers: [] })).toBe(false);
  });
});

describe('/proc parsing', () => {
  it('reads the start time (field 22) even when the comm holds spaces and parentheses', () => {
    const stat = '4242 (wireguard-go) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 8 0 230875 1234 56';
    expect(parseStatStart(stat)).toBe(230875);
    expect(parseStatComm(stat)).toBe('wireguard-go');
    expect(parseStatStart('7 (a) b) (c) S 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 99 0 0')).toBe(99);
    expect(parseStatComm('7 (a) b) (c) S 1')).toBe('a) b) (c');
    expect(parseStatStart('garbage')).toBeNull();
  });

  it('reads only the NETLOOM_WG variables of an environment', () => {
    expect(parseEnviron('PATH=/bin\0NETLOOM_WG=abc:vpn:a/wg0\0NETLOOM_WG_ROLE=daemon\0X=NETLOOM_WG=no\0')).toEqual({
      NETLOOM_WG: 'abc:vpn:a/wg0',
      NETLOOM_WG_ROLE: 'daemon',
    });
  });
});

describe('capability', () => {
  it('prefers the kernel module, falls back to wireguard-go on TUN, else explains what is missing', () => {
    expect(capability({ module: true, wg: true, go: true, tun: true }).mode).toBe('kernel');
    expect(capability({ module: false, wg: true, go: true, tun: true })).toEqual({
      mode: 'userspace',
      kernel: false,
      userspace: true,
    });
    expect(capability({ module: true, wg: false, go: true, tun: true }).mode).toBe('userspace');
    const none = capability({ module: false, wg: true, go: false, tun: true });
    expect(none.mode).toBeNull();
    expect(none.message).toBe(
      "WireGuard needs the kernel's wireguard module or wireguard-go on a TUN device; this host lacks the kernel's wireguard module (CONFIG_WIREGUARD) and wireguard-go (apt-get install wireguard-go)",
    );
    expect(capability({ module: false, wg: false, go: true, tun: false }).message).toContain('TUN devices');
  });
});

describe('lab → WireGuard specs', () => {
  const lab = Lab.parse(wireguardLab({ a: { routeAllowedIps: true, mtu: 1380 } }));
  const pub = (node: string, ifname: string) => `PUB(${node}/${ifname})`;

  it('derive lab peers’ keys, fill the endpoint port from the peer’s listenPort, and list derived routes', () => {
    const [a, b] = wireguardSpecs(lab, pub);
    expect(a).toEqual({
      lab: 'vpn',
      node: 'a',
      ifname: 'wg0',
      object: 'a/wg0',
      netns: 'wg-a',
      mtu: 1380,
      listenPort: 51820,
      peers: [
        {
          publicKey: 'PUB(b/wg0)',
          endpoint: '198.51.100.1:51820',
          allowedIps: ['10.99.0.2/32'],
          path: 'nodes.0.interfaces.0.peers.0',
        },
      ],
      routes: ['10.99.0.2/32'],
      path: 'nodes.0.interfaces.0',
    });
    expect(b).toMatchObject({
      netns: 'wg-b',
      mtu: 1420,
      peers: [{ publicKey: 'PUB(a/wg0)', allowedIps: ['10.99.0.1/32'] }],
      routes: [],
    });
    expect(b!.peers[0]).not.toHaveProperty('endpoint');
    const k = new PrivateKey(ALICE);
    expect(deviceConfig(a!, k)).toEqual({
      privateKey: k,
      listenPort: 51820,
      peers: [{ publicKey: 'PUB(b/wg0)', endpoint: '198.51.100.1:51820', allowedIps: ['10.99.0.2/32'] }],
    });
  });

  it('write shell lines that name the key file and never hold the key', () => {
    const keys = WireguardKeys.open(tempDir());
    const [a] = wireguardSpecs(lab, (n, i) => keys.publicKey('vpn', n, i));
    const path = keys.path('vpn', 'a', 'wg0');
    const lines = shellLines(a!, 'userspace', path);
    expect(lines).toEqual([
      'ip -n wg-a tuntap add dev wg0 mode tun',
      'WG_PROCESS_FOREGROUND=1 ip netns exec wg-a wireguard-go wg0 &',
      `ip netns exec wg-a wg set wg0 private-key ${path} listen-port 51820 peer ${keys.publicKey('vpn', 'b', 'wg0')} endpoint 198.51.100.1:51820 allowed-ips 10.99.0.2/32`,
      'ip -n wg-a link set dev wg0 mtu 1380',
      'ip -n wg-a route replace 10.99.0.2/32 dev wg0',
    ]);
    expect(lines.join('\n')).not.toContain(keys.get('vpn', 'a', 'wg0').reveal());
    expect(shellLines(a!, 'kernel', path)[0]).toBe('ip -n wg-a link add wg0 type wireguard');
  });
});
