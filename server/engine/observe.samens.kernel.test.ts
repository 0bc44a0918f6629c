/**
 * Veth pairs with both ends in one namespace (the root, or a named one): iproute2 names the peer instead of
 * giving its index, and netlink gives no IFLA_LINK_NETNSID. Both observers must still pair them, and a lab
 * whose veth has both ends on one node must re-apply to nothing.
 */
import { expect, it } from 'vitest';
import { type LabInput, validate } from '../../shared';
import { openEngine } from './engine';
import { observeNetlink } from './netlink/observe';
import { observe } from './observe';
import { describeKernel, kernelDriver, withSandbox } from './testing/kernel';
import type { ObservedState } from './types';

const peers = (o: ObservedState, ns: string | null) =>
  (ns === null ? o.root : o.namespaces[ns]!).links
    .filter((l) => l.kind === 'veth')
    .map((l) => [l.ifname, l.peer?.netns, l.peer?.ifname])
    .sort();

describeKernel('veth pairs inside one namespace', () => {
  it('are paired by observe() and observeNetlink() alike, in the root and in a named namespace', async () => {
    await withSandbox(async (sb) => {
      for (const argv of [
        ['ip', 'link', 'add', 'r0', 'type', 'veth', 'peer', 'name', 'r1'],
        ['ip', 'netns', 'add', 'solo'],
        ['ip', '-n', 'solo', 'link', 'add', 'name', 'sa', 'type', 'veth', 'peer', 'name', 'sb'],
      ])
        expect(await sb.runner.run(argv)).toMatchObject({ code: 0 });
      for (const o of [await observe(sb.runner), await observeNetlink(sb.runner)]) {
        expect(peers(o, null)).toEqual([
          ['r0', null, 'r1'],
          ['r1', null, 'r0'],
        ]);
        expect(peers(o, 'solo')).toEqual([
          ['sa', 'solo', 'sb'],
          ['sb', 'solo', 'sa'],
        ]);
      }
    });
  });

  it('a lab veth with both ends on one namespace applies, re-applies to nothing and is destroyed', async () => {
    const input: LabInput = {
      version: 1,
      name: 'loopy',
      nodes: [{ id: 'n', kind: 'namespace', name: 'loopy' }],
      links: [
        {
          id: 'l',
          kind: 'veth',
          endpoints: [
            { node: 'n', ifname: 'left', addresses: ['10.7.0.1/30'] },
            { node: 'n', ifname: 'right', addresses: ['10.7.1.1/30'] },
          ],
        },
      ],
    };
    const v = validate(input);
    if (!v.ok) throw new Error(JSON.stringify(v.issues));
    await withSandbox(async (sb, stateDir) => {
      const engine = await openEngine({ stateDir, runner: sb.runner, driver: kernelDriver(), skipProbe: true });
      try {
        expect((await engine.apply(v.lab)).error).toBeUndefined();
        const again = await engine.apply(v.lab);
        expect(again.error).toBeUndefined();
        expect(again.ran).toBe(0);
        expect((await engine.destroy('loopy')).error).toBeUndefined();
        expect(Object.keys((await observe(sb.runner)).namespaces)).toEqual([]);
      } finally {
        await engine.close();
      }
    });
  });
});
