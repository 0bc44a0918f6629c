// Tiny TCP/UDP helper run by node inside a namespace (through `ip netns exec NS node probe.mjs …`), for
// service checks and their tests. Fixed code; every value arrives as a separate argv entry.
//   connect tcp|udp HOST PORT TIMEOUT_MS → prints one JSON line {"ok":bool,"error"?:string} and exits 0
//   listen tcp|udp PORT [HOST]           → serves until killed: tcp accepts and closes, udp echoes;
//                                          prints "listening" once bound
import { createSocket } from 'node:dgram';
import { connect, createServer, isIPv6 } from 'node:net';

const [mode, proto, a, b, c] = process.argv.slice(2);
const done = (r) => {
  process.stdout.write(`${JSON.stringify(r)}\n`);
  process.exit(0);
};

if (mode === 'connect' && proto === 'tcp') {
  const timeout = Number(c);
  const sock = connect({ host: a, port: Number(b) });
  const t = setTimeout(() => done({ ok: false, error: 'no answer' }), timeout);
  sock.on('connect', () => {
    clearTimeout(t);
    sock.destroy();
    done({ ok: true });
  });
  sock.on('error', (e) => {
    clearTimeout(t);
    done({ ok: false, error: e.code === 'ECONNREFUSED' ? 'connection refused' : (e.code ?? e.message) });
  });
} else if (mode === 'connect' && proto === 'udp') {
  const timeout = Number(c);
  const sock = createSocket(isIPv6(a) ? 'udp6' : 'udp4');
  const t = setTimeout(() => done({ ok: false, error: 'no answer' }), timeout);
  sock.on('message', () => {
    clearTimeout(t);
    done({ ok: true });
  });
  // A connected UDP socket hears the ICMP "port unreachable" as ECONNREFUSED.
  sock.on('error', (e) => {
    clearTimeout(t);
    done({ ok: false, error: e.code === 'ECONNREFUSED' ? 'port unreachable' : (e.code ?? e.message) });
  });
  sock.connect(Number(b), a, () => sock.send('netloom probe\n'));
} else if (mode === 'listen' && proto === 'tcp') {
  // A probe resets the connection as soon as it is accepted: that is not a reason to stop serving.
  const server = createServer((s) => {
    s.on('error', () => {});
    s.end('netloom\n');
  });
  server.listen(Number(a), b, () => process.stdout.write('listening\n'));
} else if (mode === 'listen' && proto === 'udp') {
  const sock = createSocket(b && isIPv6(b) ? 'udp6' : 'udp4');
  sock.on('message', (msg, rinfo) => sock.send(msg, rinfo.port, rinfo.address));
  sock.bind(Number(a), b, () => process.stdout.write('listening\n'));
} else {
  process.stderr.write('usage: probe.mjs connect tcp|udp HOST PORT TIMEOUT_MS | listen tcp|udp PORT [HOST]\n');
  process.exit(2);
}
