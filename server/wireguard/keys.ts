/**
 * WireGuard keys: generated per lab interface on first need and kept by the server, one file per key under
 * `<stateDir>/secrets/<lab>/<node>/<ifname>.key` (directories 0700, files 0600, written atomically; the
 * content is what `wg genkey` prints, so `wg set IF private-key FILE` reads it as is). A lab document,
 * an export, a plan script or a log line never holds a private key: callers get a `PrivateKey`, whose
 * JSON, string and inspect forms are "[redacted]"; only `reveal()` hands the key to the UAPI socket.
 */
import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';

/** A WireGuard private key that never prints itself. */
export class PrivateKey {
  readonly #base64: string;
  constructor(base64: string) {
    if (!isKey(base64)) throw new Error('not a WireGuard key (32 bytes in base64)');
    this.#base64 = base64;
  }
  /** The key in base64, for the UAPI socket or `wg` stdin only. */
  reveal(): string {
    return this.#base64;
  }
  /** Derived with X25519, the way `wg pubkey` does. */
  publicKey(): string {
    return publicKeyOf(this.#base64);
  }
  toJSON(): string {
    return '[redacted]';
  }
  toString(): string {
    return '[redacted]';
  }
  [inspect.custom](): string {
    return 'PrivateKey([redacted])';
  }
}

const KEY = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;
export const isKey = (s: string): boolean => KEY.test(s);

/** 32 random bytes, clamped as Curve25519 wants them (what `wg genkey` prints). */
export function generatePrivateKey(): PrivateKey {
  const k = randomBytes(32);
  k[0]! &= 248;
  k[31] = (k[31]! & 127) | 64;
  return new PrivateKey(k.toString('base64'));
}

/** PKCS#8 wrapping of a raw X25519 private key (RFC 8410): SEQUENCE { version 0, AlgorithmIdentifier 1.3.101.110, OCTET STRING { OCTET STRING (32) } }. */
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

/** The public key of a base64 private key (X25519 scalar multiplication by the base point). */
export function publicKeyOf(privateBase64: string): string {
  const der = Buffer.concat([X25519_PKCS8_PREFIX, Buffer.from(privateBase64, 'base64')]);
  const priv = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  const jwk = createPublicKey(priv).export({ format: 'jwk' }) as { x: string };
  return Buffer.from(jwk.x, 'base64url').toString('base64');
}

/** Names that are safe as one path segment: lab names, node ids and interface names all are, by the schema. */
const segment = (s: string): string => {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(s) || s.length > 64) throw new Error(`unsafe key path part '${s}'`);
  return s;
};

export class WireguardKeys {
  private constructor(private readonly root: string) {}

  static open(stateDir: string): WireguardKeys {
    const root = join(stateDir, 'secrets');
    mkdirSync(root, { recursive: true, mode: 0o700 });
    return new WireguardKeys(root);
  }

  /** Where the key of lab/node/ifname lives (the plan script names this path, never the key). */
  path(lab: string, node: string, ifname: string): string {
    return join(this.root, segment(lab), segment(node), `${segment(ifname)}.key`);
  }

  /** The key if one was generated already, else null. */
  find(lab: string, node: string, ifname: string): PrivateKey | null {
    try {
      return new PrivateKey(readFileSync(this.path(lab, node, ifname), 'utf8').trim());
    } catch {
      return null;
    }
  }

  /** The key of lab/node/ifname, generated and stored on first use. */
  get(lab: string, node: string, ifname: string): PrivateKey {
    const found = this.find(lab, node, ifname);
    if (found) return found;
    const key = generatePrivateKey();
    const file = this.path(lab, node, ifname);
    const dir = join(this.root, segment(lab), segment(node));
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Written to a temp file created 0600, fsynced, renamed: a crash leaves the old state or the new key.
    const tmp = `${file}.${process.pid}.tmp`;
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeSync(fd, `${key.reveal()}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
    return key;
  }

  /** Public key of lab/node/ifname (generating its private key when needed). */
  publicKey(lab: string, node: string, ifname: string): string {
    return this.get(lab, node, ifname).publicKey();
  }

  /** Drops every key of a lab (the lab was deleted: a new lab of that name gets new keys). */
  forget(lab: string): void {
    rmSync(join(this.root, segment(lab)), { recursive: true, force: true });
  }
}
