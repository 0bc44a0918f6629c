/**
 * Capture and terminal plumbing without root: the runner's prefix is replaced by a tiny node program standing
 * in for tcpdump (writes a pcap stream) or for the shell (echoes its input), so framing, drop counting, the
 * terminal cap and "closing the socket kills the process group" are tested on every machine.
 */
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import type { CommandRunner } from '../engine/contract';
import { silentLogger } from '../log';
import { waitUntil } from '../testing/wait';
import { CAPTURE_HIGH_WATER, Captures } from './capture';
import { processAlive } from './procs';
import { Terminals } from './terminal';

class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  bufferedAmount = 0;
  readonly frames: { data: Buffer | string; binary: boolean }[] = [];
  closeCode: number | undefined;
  send(data: Buffer | string) {
    this.frames.push({ data, binary: Buffer.isBuffer(data) });
  }
  close(code?: number) {
    this.closeCode = code;
    this.readyState = 3;
    this.emit('close', code);
  }
  json(): { type: string; [k: string]: unknown }[] {
    return this.frames.filter((f) => !f.binary).map((f) => JSON.parse(String(f.data)));
  }
  binaries(): Buffer[] {
    return this.frames.filter((f) => f.binary).map((f) => f.data as Buffer);
  }
}

const fakeRunner = (program: string): CommandRunner => ({
  prefix: [process.execPath, '-e', program, '--'],
  mode: 'sandbox',
  run: async () => ({ code: 0, stdout: '', stderr: '' }),
});

// Stands in for tcpdump: a pcap header and 5 records of 60 bytes, written in odd-sized pieces, then waits.
const FAKE_TCPDUMP = `
const h = Buffer.from('d4c3b2a10200040000000000000000000000040001000000', 'hex');
const recs = [];
for (let i = 0; i < 5; i++) { const r = Buffer.alloc(76, i); r.writeUInt32LE(60, 8); r.writeUInt32LE(60, 12); recs.push(r); }
const all = Buffer.concat([h, ...recs]);
process.stderr.write('tcpdump: listening on fake0\\n');
for (let i = 0; i < all.length; i += 37) process.stdout.write(all.subarray(i, i + 37));
setInterval(() => {}, 1000);
`;

const target = { link: 'l1', end: 0 as const, ifname: 'veth0', netns: 'ns1', filter: '' };

describe('Captures', () => {
  let caps: Captures | undefined;
  afterEach(() => caps?.closeAll());

  it('one frame for the header, one per record; closing kills the process group', async () => {
    caps = new Captures(fakeRunner(FAKE_TCPDUMP), silentLogger());
    const ws = new FakeSocket();
    caps.start(ws as unknown as WebSocket, target);
    const [pid] = caps.pids();
    await waitUntil(() => ws.binaries().length === 6);
    expect(ws.binaries().map((b) => b.length)).toEqual([24, 76, 76, 76, 76, 76]);
    expect(ws.json()[0]).toMatchObject({ type: 'started', ifname: 'veth0', netns: 'ns1' });
    expect(processAlive(pid!)).toBe(true);
    ws.emit('close');
    await waitUntil(() => !processAlive(pid!));
    expect(caps.count).toBe(0);
  });

  it('drops and counts records while the client is more than 4 MiB behind', async () => {
    caps = new Captures(fakeRunner(FAKE_TCPDUMP), silentLogger());
    const ws = new FakeSocket();
    ws.bufferedAmount = CAPTURE_HIGH_WATER + 1;
    caps.start(ws as unknown as WebSocket, target);
    await waitUntil(() => ws.json().some((m) => m.type === 'stats'), 3000);
    expect(ws.binaries()).toHaveLength(1); // the header is always sent
    expect(ws.json().find((m) => m.type === 'stats')).toEqual({ type: 'stats', packets: 0, dropped: 5 });
    ws.emit('close');
  });

  it('tcpdump failing is reported on the socket', async () => {
    caps = new Captures(
      fakeRunner("process.stderr.write('tcpdump: veth0: No such device exists\\n'); process.exit(1)"),
      silentLogger(),
    );
    const ws = new FakeSocket();
    caps.start(ws as unknown as WebSocket, target);
    await waitUntil(() => ws.closeCode !== undefined);
    expect(ws.closeCode).toBe(4500);
    expect(ws.json().find((m) => m.type === 'error')?.message).toContain('No such device');
  });

  it('refuses more than its cap', () => {
    caps = new Captures(fakeRunner(FAKE_TCPDUMP), silentLogger(), 0);
    const ws = new FakeSocket();
    caps.start(ws as unknown as WebSocket, target);
    expect(ws.closeCode).toBe(4429);
    expect(caps.count).toBe(0);
  });
});

describe('Terminals', () => {
  let terms: Terminals | undefined;
  afterEach(() => terms?.closeAll());
  // Stands in for bash: answers every input chunk (the pty echoes it too).
  const FAKE_SHELL = "process.stdin.on('data', (d) => process.stdout.write('got:' + d.toString().trim() + '\\n'));";

  it('data both ways, resize, cap, and the process group killed on close', async () => {
    terms = new Terminals(fakeRunner(FAKE_SHELL), silentLogger(), 1);
    const ws = new FakeSocket();
    await terms.open(ws as unknown as WebSocket, { node: 'red', netns: 'red', cols: 80, rows: 24 });
    expect(ws.json()[0]).toEqual({ type: 'ready', node: 'red', netns: 'red' });
    expect(terms.count).toBe(1);
    const [pid] = terms.pids();
    ws.emit('message', Buffer.from('hello\r'), true);
    ws.emit('message', Buffer.from(JSON.stringify({ type: 'resize', cols: 100, rows: 30 })), false);
    ws.emit('message', Buffer.from(JSON.stringify({ type: 'input', data: 'again\r' })), false);
    const out = () => Buffer.concat(ws.binaries()).toString();
    await waitUntil(() => out().includes('got:hello') && out().includes('got:again'));
    ws.emit('message', Buffer.from('not json'), false);
    expect(ws.json().at(-1)).toMatchObject({ type: 'error', code: 'InvalidRequest' });

    const second = new FakeSocket();
    await terms.open(second as unknown as WebSocket, { node: 'blue', netns: 'blue', cols: 80, rows: 24 });
    expect(second.closeCode).toBe(4429);

    ws.emit('close');
    await waitUntil(() => !processAlive(pid!));
    expect(terms.count).toBe(0);
  });
});
