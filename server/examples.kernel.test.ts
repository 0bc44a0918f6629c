/**
 * Every example lab does what its description teaches, on this kernel, in a sandbox: it comes up (with the
 * engine's real capability probe), the pings it promises succeed, the ones it says fail do fail (forwarding
 * off, another VNI, no NAT), and it comes down leaving the sandbox as it was. An example this kernel cannot
 * run (e.g. bridge VLAN filtering) is refused at plan time with the clear message, and nothing changes.
 * A new example without an entry here fails the test: each one states what it teaches.
 */
import { expect, it } from 'vitest';
import { type Lab, type LabInput, validate } from '../shared';
import type { CommandRunner } from './engine/contract';
import { openEngine } from './engine/engine';
import { describeKernel, exampleLabs, kernelDriver, pingAvailable, withSandbox } from './engine/testing/kernel';
import { snapshot } from './engine/testing/snapshot';
import { optionalFeatures } from './testing/examples';
import { waitUntil } from './testing/wait';

const canPing = pingAvailable();
if (!canPing) throw new Error('ping (iputils-ping) is required: the examples are checked by pinging');

const examples = await exampleLabs();

interface Ctx {
  runner: CommandRunner;
  lab: Lab;
  /** Applies a changed copy of the lab (`edit` mutates it) and expects success. */
  reapply(edit: (lab: Lab) => void): Promise<void>;
}

async function pings(runner: CommandRunner, ns: string, to: string, tries: number): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    const r = await runner.run(['ip', 'netns', 'exec', ns, 'ping', '-c1', '-W1', to], { timeoutMs: 5000 });
    if (r.code === 0) return true;
  }
  return false;
}
const reaches = async (c: Ctx, ns: string, to: string) =>
  expect(await pings(c.runner, ns, to, 5), `${ns} → ${to} answers`).toBe(true);
const silent = async (c: Ctx, ns: string, to: string) =>
  expect(await pings(c.runner, ns, to, 1), `${ns} → ${to} stays unanswered`).toBe(false);
const out = async (c: Ctx, argv: string[]) => {
  const r = await c.runner.run(argv);
  if (r.code !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const node = (lab: Lab, id: string) => {
  const n = lab.nodes.find((x) => x.id === id);
  if (n?.kind !== 'namespace') throw new Error(`no namespace node ${id}`);
  return n;
};

interface Teaching {
  /** A capability the example needs; where the kernel lacks it the plan must be refused with `refusal`. */
  needs?: string;
  refusal?: RegExp;
  /** Set-up of the world around the lab (foreign objects, made before the "before" snapshot). */
  world?: (runner: CommandRunner) => Promise<void>;
  teach: (c: Ctx) => Promise<void>;
}

const TEACHES: Record<string, Teaching> = {
  'loopback.yaml': {
    teach: async (c) => {
      const lo = JSON.parse(await out(c, ['ip', '-j', '-n', 'island', 'addr', 'show', 'dev', 'lo']))[0];
      expect(lo.flags).toContain('UP');
      expect(lo.addr_info.map((a: { local: string }) => a.local)).toContain('127.0.0.1');
      await reaches(c, 'island', '127.0.0.1');
      await reaches(c, 'north', '10.60.0.1');
      expect(await out(c, ['ip', '-n', 'north', 'route', 'show', 'table', 'local'])).toMatch(
        /local 10\.60\.0\.1 dev eth0/,
      );
      await reaches(c, 'north', '10.60.0.2');
      await out(c, ['ip', '-n', 'island', 'link', 'set', 'dev', 'lo', 'down']);
      await silent(c, 'island', '127.0.0.1');
      await out(c, ['ip', '-n', 'island', 'link', 'set', 'dev', 'lo', 'up']);
    },
  },
  'veth-pair.yaml': {
    teach: async (c) => {
      await reaches(c, 'red', '10.0.0.2');
      await reaches(c, 'blue', '10.0.0.1');
      await c.reapply((lab) => {
        lab.links[0]!.endpoints[1]!.up = false;
      });
      await silent(c, 'red', '10.0.0.2');
    },
  },
  'bridge-lan.yaml': {
    teach: async (c) => {
      await reaches(c, 'pc1', '192.168.50.3');
      await reaches(c, 'pc2', '192.168.50.1');
      const ports = JSON.parse(await out(c, ['bridge', '-j', 'link', 'show', 'master', 'lan0'])) as {
        ifname: string;
      }[];
      expect(ports.map((p) => p.ifname).sort()).toEqual(['lan0-pc1', 'lan0-pc2', 'lan0-pc3']);
    },
  },
  'bridge-in-namespace.yaml': {
    teach: async (c) => {
      await reaches(c, 'alpha', '172.16.0.2');
      expect(await out(c, ['ip', '-j', 'link', 'show', 'type', 'bridge'])).toBe('[]\n');
      const ports = JSON.parse(await out(c, ['bridge', '-n', 'switch', '-j', 'link', 'show'])) as { ifname: string }[];
      expect(ports.map((p) => p.ifname).sort()).toEqual(['sw0-alpha', 'sw0-beta']);
    },
  },
  'two-lans.yaml': {
    teach: async (c) => {
      await reaches(c, 'red1', '192.168.10.12');
      await reaches(c, 'red1', '192.168.20.21');
      // Two broadcast domains: blue's bridge never learns a red host's MAC.
      const red1 = JSON.parse(await out(c, ['ip', '-j', '-n', 'red1', 'link', 'show', 'dev', 'eth0']))[0].address;
      expect(await out(c, ['bridge', 'fdb', 'show', 'br', 'br-blue'])).not.toContain(red1);
      await c.reapply((lab) => {
        node(lab, 'gw').forwarding = false;
      });
      await reaches(c, 'red1', '192.168.10.12');
      await reaches(c, 'blue1', '192.168.20.22');
      await silent(c, 'red1', '192.168.20.21');
    },
  },
  'vlan-bridge.yaml': {
    needs: 'bridgeVlan',
    refusal:
      /VLAN filtering on bridge 'br-vlan' needs the kernel's bridge VLAN support \(CONFIG_BRIDGE_VLAN_FILTERING\)/,
    teach: async (c) => {
      await reaches(c, 'ten-a', '192.168.30.12');
      await silent(c, 'ten-a', '192.168.30.21');
      await reaches(c, 'twenty-a', '192.168.30.22');
    },
  },
  'router.yaml': {
    teach: async (c) => {
      await reaches(c, 'left', '10.1.2.2');
      await reaches(c, 'right', '10.1.1.2');
      await c.reapply((lab) => {
        node(lab, 'rtr').forwarding = false;
      });
      await silent(c, 'left', '10.1.2.2');
      // The router still answers on both of its own addresses.
      await reaches(c, 'left', '10.1.1.254');
      await reaches(c, 'left', '10.1.2.254');
    },
  },
  'vxlan-sites.yaml': {
    teach: async (c) => {
      await reaches(c, 'site-a', '172.16.2.1');
      await reaches(c, 'site-a', '10.200.0.2');
      await reaches(c, 'site-b', '10.200.0.1');
      // ARP crossed the routed underlay: site-a knows site-b's vx0 MAC.
      const vx = JSON.parse(await out(c, ['ip', '-j', '-n', 'site-b', 'link', 'show', 'dev', 'vx0']))[0].address;
      expect(await out(c, ['ip', '-n', 'site-a', 'neigh', 'show', 'dev', 'vx0'])).toContain(vx);
      await c.reapply((lab) => {
        const x = node(lab, 'site-b').interfaces![0]!;
        if (x.kind === 'vxlan') x.vni = 101;
      });
      await silent(c, 'site-a', '10.200.0.2');
      await reaches(c, 'site-a', '172.16.2.1');
    },
  },
  'wireguard-vpn.yaml': {
    needs: 'wireguard',
    refusal: /WireGuard interface 'wg0' cannot be created here/,
    teach: async (c) => {
      await reaches(c, 'host-a', '10.2.0.10');
      await reaches(c, 'host-b', '10.1.0.10');
      await reaches(c, 'router-a', '10.99.0.2');
      // The internet routes only its public networks: the private LANs are reached only through the tunnel.
      await silent(c, 'internet', '10.2.0.10');
      // router-a no longer routes site B's LAN into the tunnel (nor accepts it from router-b).
      await c.reapply((lab) => {
        const wg = node(lab, 'router-a').interfaces![0]!;
        if (wg.kind === 'wireguard') wg.peers[0]!.allowedIps = ['10.99.0.2/32'];
      });
      await silent(c, 'host-a', '10.2.0.10');
      await reaches(c, 'router-a', '10.99.0.2');
    },
  },
  'nat-outside.yaml': {
    // The outside: namespace isp (203.0.113.2) behind the host's uplink (203.0.113.1), the host's default
    // route through it. isp has no route back to 10.77.0.0/24: only NAT brings the replies home.
    world: async (runner) => {
      const must = async (argv: string[]) => {
        const r = await runner.run(argv);
        if (r.code !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
      };
      await must(['ip', 'netns', 'add', 'isp']);
      await must(['ip', 'link', 'add', 'name', 'uplink', 'type', 'veth', 'peer', 'name', 'isp0', 'netns', 'isp']);
      // No IPv6 on the fake uplink: its link-local addresses would appear asynchronously in snapshots.
      await must(['sysctl', '-q', '-w', 'net.ipv6.conf.uplink.disable_ipv6=1']);
      await must(['ip', 'netns', 'exec', 'isp', 'sysctl', '-q', '-w', 'net.ipv6.conf.isp0.disable_ipv6=1']);
      await must(['ip', 'addr', 'add', '203.0.113.1/24', 'dev', 'uplink']);
      await must(['ip', 'link', 'set', 'dev', 'uplink', 'up']);
      await must(['ip', '-n', 'isp', 'addr', 'add', '203.0.113.2/24', 'dev', 'isp0']);
      await must(['ip', '-n', 'isp', 'link', 'set', 'dev', 'isp0', 'up']);
      await must(['ip', '-n', 'isp', 'link', 'set', 'dev', 'lo', 'up']);
      await must(['ip', 'route', 'add', 'default', 'via', '203.0.113.2', 'dev', 'uplink']);
      // Carrier comes up asynchronously: wait until the world is quiet, so the "before" snapshot is stable.
      let prev = '';
      await waitUntil(
        async () => {
          const now = JSON.stringify(await snapshot(runner));
          const quiet = now === prev && !now.includes('NO-CARRIER');
          prev = now;
          return quiet;
        },
        10_000,
        'the uplink to settle',
        200,
      );
    },
    teach: async (c) => {
      await reaches(c, 'inside', '10.77.0.1');
      await reaches(c, 'inside', '203.0.113.2');
      expect(await out(c, ['nft', 'list', 'table', 'ip', 'netloom_nat_outside'])).toContain('masquerade');
      await c.reapply((lab) => {
        const host = lab.nodes.find((n) => n.kind === 'host');
        if (host?.kind === 'host') delete host.nat;
      });
      await silent(c, 'inside', '203.0.113.2');
      await reaches(c, 'inside', '10.77.0.1');
    },
  },
};

const parse = (input: LabInput): Lab => {
  const v = validate(input);
  if (!v.ok) throw new Error(`example is invalid: ${JSON.stringify(v.issues)}`);
  return v.lab;
};

describeKernel('example labs teach what they say', () => {
  it('every example says what it teaches', () => {
    expect(examples.map((e) => e.file).filter((f) => !TEACHES[f])).toEqual([]);
    for (const { file, lab } of examples)
      expect(optionalFeatures(lab), `${file} needs only what its entry declares`).toEqual(
        TEACHES[file]?.needs ? [TEACHES[file]!.needs] : [],
      );
  });

  for (const { file, lab: input } of examples) {
    const t = TEACHES[file];
    if (!t) continue;
    it(`${file}: ${t.needs ? `needs ${t.needs}; ` : ''}comes up, teaches its lesson, comes down`, () =>
      withSandbox(async (sb, stateDir) => {
        const lab = parse(input);
        await t.world?.(sb.runner);
        const engine = await openEngine({ stateDir, runner: sb.runner, driver: kernelDriver() });
        try {
          const before = await snapshot(sb.runner);
          if (t.needs && engine.capabilities()[t.needs] !== true) {
            const p = await engine.plan(lab);
            expect(p.operations).toEqual([]);
            expect(p.errors.length).toBeGreaterThan(0);
            for (const e of p.errors)
              expect(e).toMatchObject({ code: 'Unsupported', message: expect.stringMatching(t.refusal!) });
            expect(await engine.apply(lab)).toMatchObject({ ok: false, ran: 0, error: { code: 'Unsupported' } });
            expect(await snapshot(sb.runner)).toEqual(before);
            return;
          }
          const up = await engine.apply(lab);
          expect(up.error).toBeUndefined();
          let current = lab;
          await t.teach({
            runner: sb.runner,
            lab,
            reapply: async (edit) => {
              current = structuredClone(current);
              edit(current);
              const r = await engine.apply(parse(current));
              expect(r.error).toBeUndefined();
            },
          });
          expect((await engine.destroy(lab.name)).ok).toBe(true);
          expect(await snapshot(sb.runner)).toEqual(before);
        } finally {
          await engine.close();
        }
      }));
  }
});
