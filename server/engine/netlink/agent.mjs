// Netloom netlink agent: a long-lived helper started by NetlinkDriver INSIDE the target world (host, or a
// sandbox entered with nsenter -n -m: a multithreaded process like Node cannot setns() into a mount
// namespace, so the agent is born there). Plain JavaScript so it starts without a TypeScript loader.
//
// Protocol: newline-delimited JSON over stdin/stdout. Request {id, actions:[…], close?} or {id, cmd:'closeAll'};
// close:true drops every namespace fd after the actions, as closeAll does.
// Actions run in order and stop at the first failure (unless marked soft); a run of consecutive creates (or
// deletes) is one batch on a few threads, reported per action:
//   {t:'create', ns}                        create a named netns (/run/netns/NS)
//   {t:'delete', ns}                        close our fds on it, unmount and unlink it
//   {t:'nl', ns, b64, fds?:[{offset,netns,fdOnly?}], soft?}  send rtnetlink messages in NS (null = our own
//                                           netns), after writing our fd of `netns` at each offset
//                                           (IFLA_NET_NS_FD; fdOnly: a plain fd on the file, closed after)
//   {t:'write', ns, file, data}             write a /proc/sys file as seen from inside NS
//   {t:'observe', b64, fds?, keep?, threads?, only?, root?}  read-only: send the messages of b64 one at a time (dumps) in
//                                           our own netns and in every netns under /run/netns, each over a
//                                           socket opened there and closed at once; reply {ok, names,
//                                           b64s, ms} (b64s[0]: our own netns; null: that netns could not be
//                                           read; only: just these names; root: false: not our own netns;
//                                           ms: [kernel, encode] times)
//   {t:'nsids', asks, targets, pairs, threads?}  read-only: for each [ask, target] index pair (grouped by
//                                           ask), the nsid netns ASK gives netns TARGET; reply {ok, ids}
//   {t:'dumps', b64, keep?}                 read-only: send the messages of b64 one at a time (dumps) in our
//                                           own netns over a fresh socket with NETLINK_GET_STRICT_CHK (the
//                                           kernel honours NETNSA_TARGET_NSID only then), closed after;
//                                           reply {ok, b64} (keep: as for observe)
//   {t:'watch'}                             start listening (once) to the rtnetlink notifications of our own
//                                           netns and of every netns with an nsid here (one socket,
//                                           NETLINK_LISTEN_ALL_NSID), and to nftables changes here
//   {t:'unwatch'}                           stop listening (close both sockets)
//   {t:'events'}                            read-only: drain both; reply {ok, overflow, nsidsChanged, nsids,
//                                           nft, names, inodes}: the nsids notifications came from (-1: our
//                                           own netns), whether any were lost, whether our own netns removed
//                                           an nsid, whether nftables changed, and the netns files under
//                                           /run/netns with their namespace inode numbers
// Reply {id, results:[{ok, errno?, b64?}]} (one per action that ran). The agent never interprets text.
import { closeSync, openSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const NETNS_DIR = '/run/netns';
const require = createRequire(import.meta.url);
const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);

let nl;
try {
  nl = require(
    join(import.meta.dirname, '..', '..', '..', 'native', 'netlink', 'build', 'Release', 'netloom_netlink.node'),
  );
} catch (e) {
  out({ ready: false, error: `cannot load the native addon: ${e.message}` });
  process.exit(1);
}

/** ns name ('' = our own) → {nsFd, nlFd}. Closed after every request batch by closeAll. */
const open = new Map();
const root = nl.openNetns(null);
if (typeof root === 'number') {
  out({ ready: false, error: `cannot open a netlink socket (errno ${-root})` });
  process.exit(1);
}
open.set('', { nsFd: root[0], nlFd: root[1] });
let dirReady = false;
/** Notification sockets (watch): rtnetlink of every netns with an nsid here, and nftables here. */
let watch = null;
/** rtnetlink groups an observation depends on: link, tc, IPv4/IPv6 addresses and routes, netconf, nsid. */
const WATCH_GROUPS = [1, 4, 5, 7, 9, 11, 24, 25, 28];
const NFNLGRP_NFTABLES = 7;

const key = (ns) => (ns === null || ns === undefined ? '' : ns);
const path = (ns) => {
  if (typeof ns !== 'string' || ns === '' || ns.includes('/') || ns === '.' || ns === '..') {
    throw Object.assign(new Error('bad netns name'), { errno: constants.errno.EINVAL });
  }
  return join(NETNS_DIR, ns);
};

function handle(ns) {
  const k = key(ns);
  let h = open.get(k);
  if (!h) {
    const r = nl.openNetns(path(ns));
    if (typeof r === 'number') return r;
    h = { nsFd: r[0], nlFd: r[1] };
    open.set(k, h);
  }
  return h;
}

function closeOne(k) {
  const h = open.get(k);
  if (!h || k === '') return;
  nl.close(h.nlFd);
  nl.close(h.nsFd);
  open.delete(k);
}

/** First error carried by the replies (NLMSG_ERROR with errno, or a failed dump's NLMSG_DONE), else 0. */
function firstError(buf) {
  let off = 0;
  while (off + 16 <= buf.length) {
    const len = buf.readUInt32LE(off);
    if (len < 16) break;
    const type = buf.readUInt16LE(off + 4);
    if ((type === 2 || type === 3) && len >= 20) {
      const e = buf.readInt32LE(off + 16);
      if (e < 0) return -e;
    }
    off += (len + 3) & ~3;
  }
  return 0;
}

function run(a) {
  switch (a.t) {
    case 'create': {
      if (!dirReady) {
        const rc = nl.prepareNetnsDir(NETNS_DIR);
        if (rc < 0) return { ok: false, errno: -rc };
        dirReady = true;
      }
      const r = nl.createNetns(path(a.ns));
      if (typeof r === 'number') return { ok: false, errno: -r };
      closeOne(key(a.ns));
      open.set(key(a.ns), { nsFd: r[0], nlFd: r[1] });
      return { ok: true };
    }
    case 'delete': {
      const p = path(a.ns);
      closeOne(key(a.ns));
      const rc = nl.deleteNetns(p);
      return rc < 0 ? { ok: false, errno: -rc } : { ok: true };
    }
    case 'nl': {
      const h = handle(a.ns);
      if (typeof h === 'number') return { ok: false, errno: -h };
      const buf = Buffer.from(a.b64, 'base64');
      // fdOnly: a plain fd on the netns file (no socket there), closed after this action.
      const temp = [];
      try {
        for (const s of a.fds ?? []) {
          if (s.fdOnly && s.netns !== null && s.netns !== undefined) {
            const fd = openSync(path(s.netns), 'r');
            temp.push(fd);
            buf.writeUInt32LE(fd, s.offset);
            continue;
          }
          const t = handle(s.netns);
          if (typeof t === 'number') return { ok: false, errno: -t };
          buf.writeUInt32LE(t.nsFd, s.offset);
        }
      } catch (e) {
        for (const fd of temp) closeSync(fd);
        return { ok: false, errno: typeof e.errno === 'number' ? Math.abs(e.errno) : constants.errno.EIO };
      }
      const r = nl.transact(h.nlFd, buf);
      for (const fd of temp) closeSync(fd);
      if (typeof r === 'number') return { ok: false, errno: -r };
      const e = firstError(r);
      return { ok: e === 0, ...(e !== 0 && { errno: e }), b64: r.toString('base64') };
    }
    case 'write': {
      const k = key(a.ns);
      let fd = -1;
      if (k !== '') {
        const h = handle(a.ns);
        if (typeof h === 'number') return { ok: false, errno: -h };
        fd = h.nsFd;
      }
      const rc = nl.writeInNetns(fd, a.file, a.data);
      return rc < 0 ? { ok: false, errno: -rc } : { ok: true };
    }
    case 'observe': {
      let names = [];
      try {
        names = readdirSync(NETNS_DIR).filter((n) => n !== '.' && n !== '..');
      } catch {}
      if (Array.isArray(a.only)) {
        const want = new Set(a.only);
        names = names.filter((n) => want.has(n));
      }
      const t0 = performance.now();
      const buf = Buffer.from(a.b64, 'base64');
      for (const s of a.fds ?? []) {
        const t = handle(s.netns);
        if (typeof t === 'number') return { ok: false, errno: -t };
        buf.writeUInt32LE(t.nsFd, s.offset);
      }
      // root: false: our own netns is not read (b64s[0] is null).
      const own = a.root === false ? [] : ['/proc/self/ns/net'];
      const paths = [...own, ...names.map((n) => join(NETNS_DIR, n))];
      const got = paths.length ? nl.dumpMany(paths, buf, a.keep ?? [], a.threads ?? 2) : [];
      if (typeof got === 'number') return { ok: false, errno: -got };
      const rs = a.root === false ? [-1, ...got] : got;
      const t1 = performance.now();
      const b64s = rs.map((r) => (typeof r === 'number' ? null : r.toString('base64')));
      return { ok: true, names, b64s, ms: [t1 - t0, performance.now() - t1] };
    }
    case 'nsids': {
      const asks = a.asks.map(path);
      const targets = a.targets.map(path);
      const ids = nl.nsidMatrix(asks, targets, Int32Array.from(a.pairs), a.threads ?? 2);
      if (typeof ids === 'number') return { ok: false, errno: -ids };
      return { ok: true, ids: [...ids] };
    }
    case 'watch': {
      if (watch) return { ok: true };
      const route = nl.watchEvents(0, WATCH_GROUPS, true);
      if (route < 0) return { ok: false, errno: -route };
      const nft = nl.watchEvents(12, [NFNLGRP_NFTABLES], false);
      if (nft < 0) {
        nl.close(route);
        return { ok: false, errno: -nft };
      }
      watch = { route, nft };
      return { ok: true };
    }
    case 'unwatch': {
      if (watch) {
        nl.close(watch.route);
        nl.close(watch.nft);
        watch = null;
      }
      return { ok: true };
    }
    case 'events': {
      if (!watch) return { ok: false, errno: constants.errno.EBADF };
      const r = nl.drainEvents(watch.route, true);
      const f = nl.drainEvents(watch.nft, false);
      if (typeof r === 'number') return { ok: false, errno: -r };
      if (typeof f === 'number') return { ok: false, errno: -f };
      const names = [];
      const inodes = [];
      let list = [];
      try {
        list = readdirSync(NETNS_DIR);
      } catch {}
      for (const n of list) {
        try {
          inodes.push(statSync(join(NETNS_DIR, n)).ino);
          names.push(n);
        } catch {}
      }
      return {
        ok: true,
        overflow: (r[0] & 1) === 1 || (f[0] & 1) === 1,
        nsidsChanged: (r[0] & 2) === 2,
        nsids: [...new Set(r.subarray(1))],
        nft: f.length > 1 || f[0] === 1,
        names,
        inodes,
      };
    }
    case 'dumps': {
      const rs = nl.dumpMany(['/proc/self/ns/net'], Buffer.from(a.b64, 'base64'), a.keep ?? [], 1);
      const r = typeof rs === 'number' ? rs : rs[0];
      if (typeof r === 'number') return { ok: false, errno: -r };
      return { ok: true, b64: r.toString('base64') };
    }
    default:
      return { ok: false, errno: constants.errno.EINVAL };
  }
}

/** Threads for namespace batches: creation/unmount mostly wait in the kernel, so a few overlap well. */
const THREADS = 4;

/** Runs a run of consecutive create (or delete) actions as one batch on a few threads. */
function runBatch(kind, batch) {
  if (kind === 'create' && !dirReady) {
    const rc = nl.prepareNetnsDir(NETNS_DIR);
    if (rc < 0) return batch.map(() => ({ ok: false, errno: -rc }));
    dirReady = true;
  }
  const paths = [];
  for (const a of batch) {
    try {
      paths.push(path(a.ns));
    } catch (e) {
      return batch.map(() => ({ ok: false, errno: e.errno }));
    }
  }
  if (kind === 'delete') {
    for (const a of batch) closeOne(key(a.ns));
    const rcs = nl.deleteNetnsMany(paths, THREADS);
    return rcs.map((rc) => (rc < 0 ? { ok: false, errno: -rc } : { ok: true }));
  }
  const rs = nl.createNetnsMany(paths, THREADS);
  return rs.map((r, i) => {
    if (typeof r === 'number') return { ok: false, errno: -r };
    closeOne(key(batch[i].ns));
    open.set(key(batch[i].ns), { nsFd: r[0], nlFd: r[1] });
    return { ok: true };
  });
}

const rl = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
rl.on('line', (line) => {
  let req;
  try {
    req = JSON.parse(line);
  } catch {
    return;
  }
  if (req.cmd === 'closeAll') {
    for (const k of [...open.keys()]) closeOne(k);
    out({ id: req.id, results: [] });
    return;
  }
  const results = [];
  const actions = req.actions ?? [];
  for (let i = 0; i < actions.length; ) {
    const a = actions[i];
    if (a.t === 'create' || a.t === 'delete') {
      let j = i;
      while (j < actions.length && actions[j].t === a.t) j++;
      const rs = runBatch(a.t, actions.slice(i, j));
      results.push(...rs);
      if (rs.some((r) => !r.ok)) break;
      i = j;
      continue;
    }
    let r;
    try {
      r = run(a);
    } catch (e) {
      r = { ok: false, errno: typeof e.errno === 'number' ? e.errno : constants.errno.EIO };
    }
    results.push(r);
    if (!r.ok && !a.soft) break;
    i++;
  }
  if (req.close) for (const k of [...open.keys()]) closeOne(k);
  out({ id: req.id, results });
});
rl.on('close', () => process.exit(0));
out({ ready: true, pid: process.pid });
