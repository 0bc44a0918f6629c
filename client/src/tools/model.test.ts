import { describe, expect, it } from 'vitest';
import type { PathResponse, ReachabilityResponse } from '../../../shared/tools';
import { makeVethPair } from '../testing/factories';
import { matrixGrid, matrixNotes, overlayLines, pathObjects, pingSummary, protocolClass, resolveTarget } from './model';

const path = (over: Partial<PathResponse> = {}): PathResponse => ({
  from: 'red',
  target: '10.0.0.2',
  toNode: 'blue',
  complete: true,
  hops: [
    { node: 'red', out: 'red-eth0', l2: ['l1'] },
    { node: 'blue', in: 'blue-eth0', l2: [] },
  ],
  objects: ['red', 'l1#0', 'l1', 'blue'],
  reverseObjects: ['blue', 'l1#1', 'l1', 'red'],
  routeGet: { ok: true, dev: 'red-eth0', agrees: true },
  ping: {
    ok: true,
    exitCode: 0,
    stdout: '',
    stderr: '',
    durationMs: 3,
    command: ['ping'],
    parsed: { transmitted: 3, received: 3, lossPct: 0, rttAvgMs: 0.0512 },
  },
  ...over,
});

describe('path highlight', () => {
  it('maps forward and reverse objects to canvas ids (endpoint keys fold into their link)', () => {
    expect([...pathObjects(path())].sort()).toEqual(['blue', 'l1', 'red']);
    expect(pathObjects(null).size).toBe(0);
  });
});

describe('overlay lines', () => {
  it('a hop through a VXLAN lists the underlay it rides on; a plain path has none', () => {
    const res = path({
      hops: [
        {
          node: 'site-a',
          out: 'vx0',
          l2: ['vxlan:site-a/vx0~site-b/vx0'],
          tunnel: {
            id: 'vxlan:site-a/vx0~site-b/vx0',
            kind: 'vxlan',
            vni: 100,
            remote: '172.16.2.1',
            underlay: [
              { node: 'site-a', out: 'eth0', l2: [] },
              { node: 'wan', l2: [] },
              { node: 'site-b', l2: [] },
            ],
          },
        },
        { node: 'site-b', in: 'vx0', l2: [] },
      ],
    });
    expect(overlayLines(res, (id) => id.toUpperCase())).toEqual(['vx0 · VXLAN 100 over SITE-A → WAN → SITE-B']);
    expect(overlayLines(path())).toEqual([]);
  });
});

describe('ping summary', () => {
  it('success: received / transmitted and the average rtt', () => {
    expect(pingSummary(path())).toEqual({ ok: true, text: '3/3 received · 0.051 ms' });
  });

  it('failure: the explanation of the path problem', () => {
    const s = pingSummary(
      path({
        complete: false,
        problem: { reason: 'LinkDown', message: 'red-eth0 is down', object: 'l1#0', direction: 'forward' },
        ping: {
          ok: false,
          exitCode: 1,
          stdout: '',
          stderr: '',
          durationMs: 1000,
          command: ['ping'],
          parsed: { transmitted: 1, received: 0, lossPct: 100, rttAvgMs: null },
        },
      }),
    );
    expect(s).toEqual({ ok: false, text: '0/1 received', explanation: 'red-eth0 is down', reason: 'LinkDown' });
  });

  it('a failed ping without a design problem says Unknown with the tool output', () => {
    const s = pingSummary(
      path({
        ping: {
          ok: false,
          exitCode: 1,
          stdout: 'x\n1 packets transmitted, 0 received',
          stderr: '',
          durationMs: 1,
          command: [],
        },
      }),
    );
    expect(s.ok).toBe(false);
    expect(s.reason).toBe('Unknown');
    expect(s.explanation).toContain('0 received');
  });
});

const matrix: ReachabilityResponse = {
  lab: 'x',
  nodes: ['red', 'blue', 'green'],
  durationMs: 12,
  cells: [
    { from: 'red', to: 'blue', target: '10.0.0.2', reachable: true, rttMs: 0.04, expected: true },
    {
      from: 'blue',
      to: 'red',
      target: '10.0.0.1',
      reachable: false,
      rttMs: null,
      expected: false,
      problem: { reason: 'LinkDown', message: 'down', object: 'l1#1', direction: 'forward' },
    },
    {
      from: 'red',
      to: 'green',
      target: '10.0.1.2',
      reachable: false,
      rttMs: null,
      expected: true,
      problem: { reason: 'Unknown', message: 'the design says it works', direction: 'forward' },
    },
  ],
};

describe('reachability grid', () => {
  it('rows = from, cols = to; ✓ / ✗ / — with reasons; unexpected when the design disagrees', () => {
    const g = matrixGrid(matrix, (id) => id.toUpperCase());
    expect(g.nodes.map((n) => n.label)).toEqual(['RED', 'BLUE', 'GREEN']);
    const cell = (f: string, t: string) => g.rows.find((r) => r.from === f)!.cells.find((c) => c.to === t)!;
    expect(cell('red', 'red')).toMatchObject({ kind: 'self', symbol: '—' });
    expect(cell('red', 'blue')).toMatchObject({ kind: 'ok', symbol: '✓', unexpected: false });
    expect(cell('blue', 'red')).toMatchObject({ kind: 'fail', symbol: '✗', reason: 'LinkDown', unexpected: false });
    expect(cell('blue', 'red').title).toContain('LinkDown: down');
    expect(cell('red', 'green')).toMatchObject({ kind: 'fail', unexpected: true });
    expect(cell('red', 'green').title).toContain('the design predicts reachable');
    expect(cell('green', 'red')).toMatchObject({ kind: 'none', symbol: '—' });
    expect([g.reachable, g.unreachable, g.unexpected]).toEqual([1, 2, 1]);
  });

  it('notes: each failure reason on the object it names (endpoint → link), once', () => {
    const notes = matrixNotes({
      ...matrix,
      cells: [...matrix.cells, { ...matrix.cells[1]!, from: 'green', to: 'red' }],
    });
    expect([...notes]).toEqual([['l1', 'LinkDown']]);
    expect(matrixNotes(null).size).toBe(0);
  });
});

describe('ping target and protocol helpers', () => {
  it('an address stays, a node name or id becomes the id', () => {
    const lab = makeVethPair();
    expect(resolveTarget(lab, ' 10.0.0.2 ')).toBe('10.0.0.2');
    expect(resolveTarget(lab, 'fd00::1')).toBe('fd00::1');
    expect(resolveTarget(lab, 'blue')).toBe('blue');
    expect(resolveTarget(lab, '')).toBeNull();
  });
  it('protocol classes', () => {
    expect(['ICMP', 'ICMPv6', 'ARP', 'TCP', 'DNS', 'IPv4'].map(protocolClass)).toEqual([
      'icmp',
      'icmp',
      'arp',
      'tcp',
      'udp',
      'other',
    ]);
  });
});
