import { describe, expect, it } from 'vitest';
import { type Lab, validate } from '../../shared';
import type { CommandRunner } from './contract';
import { BRIDGE_PORT_LIMIT, parseNofile, preflight, readLimits, type ScaleLimits } from './preflight';

/** N namespaces on `bridges` root bridges (round robin). */
function star(n: number, bridges = 1): Lab {
  const nodes: unknown[] = Array.from({ length: bridges }, (_, b) => ({
    id: `br${b}`,
    kind: 'bridge',
    name: `br${b}`,
  }));
  const links: unknown[] = [];
  for (let i = 0; i < n; i++) {
    nodes.push({ id: `n${i}`, kind: 'namespace', name: `s${i}` });
    links.push({
      id: `l${i}`,
      kind: 'veth',
      endpoints: [
        { node: `n${i}`, ifname: 'eth0' },
        { node: `br${i % bridges}`, ifname: `p${i}` },
      ],
    });
  }
  const v = validate({ version: 1, name: 'pf', nodes, links });
  // Over-full bridges may be refused by validate(); preflight must still judge the raw lab.
  return v.ok ? v.lab : ({ version: 1, name: 'pf', nodes, links } as Lab);
}

const roomy: ScaleLimits = {
  nofileSoft: 1024,
  nofileHard: 524288,
  inotifyMaxUserInstances: 128,
  inotifyMaxUserWatches: 65536,
  neighGcThresh3: 1024,
  fileMax: Number.MAX_SAFE_INTEGER,
  fileNr: 2000,
  mountMax: 100000,
  existingNamespaces: 0,
  bridgePortLimit: BRIDGE_PORT_LIMIT,
};

describe('preflight', () => {
  it('warns when the lab’s addressed interfaces could overflow the host-wide ARP table', () => {
    const lab = star(10);
    for (const l of lab.links) l.endpoints[0]!.addresses = ['10.0.0.1/24'];
    const issues = preflight(lab, { ...roomy, neighGcThresh3: 8 });
    expect(issues.find((i) => i.code === 'NeighbourTable')?.message).toMatch(
      /10 addressed interfaces.*gc_thresh3 \(8\)/,
    );
  });

  it('says nothing for a small lab on a roomy machine', () => {
    expect(preflight(star(10), roomy, { netlinkDriver: true })).toEqual([]);
  });

  it('refuses a bridge with more than 1023 ports, naming it', () => {
    const issues = preflight(star(1024), roomy);
    const e = issues.find((i) => i.code === 'BridgePortLimit');
    expect(e).toMatchObject({ severity: 'error', object: 'br0' });
    expect(e!.message).toMatch(/1024 ports.*at most 1023/);
    // Split across two bridges: fine.
    expect(preflight(star(1500, 2), roomy).some((i) => i.code === 'BridgePortLimit')).toBe(false);
  });

  it('counts the netlink agent fds against RLIMIT_NOFILE (hard limit: Node raises soft to hard)', () => {
    const tight = { ...roomy, nofileSoft: 1024, nofileHard: 1024 };
    const issues = preflight(star(1500, 2), tight, { netlinkDriver: true });
    const e = issues.find((i) => i.code === 'FileDescriptors');
    expect(e?.severity).toBe('error');
    expect(e!.message).toMatch(
      /this lab has 1500 namespaces.*one|needs 2 file descriptors per namespace.*RLIMIT_NOFILE is 1024/,
    );
    // The ip-batch driver holds no per-namespace fds.
    expect(preflight(star(1500, 2), tight).some((i) => i.code === 'FileDescriptors')).toBe(false);
    // Soft below need but hard above: a warning only.
    expect(
      preflight(star(1500, 2), roomy, { netlinkDriver: true }).find((i) => i.code === 'FileDescriptors')?.severity,
    ).toBe('warning');
  });

  it('includes namespaces already on the host', () => {
    const tight = { ...roomy, nofileSoft: 4096, nofileHard: 4096, existingNamespaces: 2500 };
    expect(preflight(star(10), tight, { netlinkDriver: true }).map((i) => i.code)).toContain('FileDescriptors');
    expect(preflight(star(10), tight).map((i) => i.code)).toContain('ManyNamespaces');
  });

  it('warns about segments larger than the neighbour table, mounts, inotify and the file table', () => {
    const lab = star(1010);
    const codes = preflight(
      lab,
      { ...roomy, neighGcThresh3: 512, mountMax: 1000, inotifyMaxUserWatches: 800, fileMax: 3000, fileNr: 1500 },
      { netlinkDriver: true, inotifyPerNamespace: true },
    ).map((i) => `${i.code}:${i.severity}`);
    expect(codes).toEqual(
      expect.arrayContaining(['NeighbourTable:warning', 'MountLimit:error', 'Inotify:warning', 'FileTable:error']),
    );
  });

  it('reads RLIMIT_NOFILE from /proc/PID/limits', () => {
    const text =
      'Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 524288               files\n';
    expect(parseNofile(text)).toEqual([1024, 524288]);
    expect(parseNofile('Max open files unlimited unlimited files')).toEqual([Infinity, Infinity]);
    expect(parseNofile('nothing')).toBeNull();
  });
});

describe('readLimits', () => {
  /** A runner that lists two namespaces and records what it was asked to run. */
  const recording = () => {
    const ran: string[] = [];
    const runner: CommandRunner = {
      prefix: [],
      mode: 'host',
      run: async (argv) => {
        ran.push(argv.join(' '));
        return argv.join(' ') === 'ip -j netns list'
          ? { code: 0, stdout: '[{"name":"a"},{"name":"b"}]', stderr: '' }
          : { code: 1, stdout: '', stderr: 'no' };
      },
    };
    return { ran, runner };
  };

  it('lists the namespaces already here itself', async () => {
    const { ran, runner } = recording();
    expect((await readLimits(runner)).existingNamespaces).toBe(2);
    expect(ran.filter((c) => c === 'ip -j netns list')).toHaveLength(1);
  });

  it("counts the names the caller already has (a plan's observation) without listing them again", async () => {
    const { ran, runner } = recording();
    expect((await readLimits(runner, Promise.resolve(['x', 'y', 'z']))).existingNamespaces).toBe(3);
    expect(ran.filter((c) => c === 'ip -j netns list')).toEqual([]);
  });
});
