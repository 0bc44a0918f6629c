/** validate(): bridge VLAN filtering fields (issue #6). */
import { describe, expect, it } from 'vitest';
import { validate } from './validate';

const lab = (bridge: Record<string, unknown>, vlan: unknown, onBridge = true) => ({
  version: 1,
  name: 'v',
  nodes: [
    { id: 'sw', kind: 'bridge', name: 'br0', ...bridge },
    { id: 'a', kind: 'namespace', name: 'a' },
  ],
  links: [
    {
      id: 'l',
      kind: 'veth',
      endpoints: [
        { node: 'a', ifname: 'eth0', addresses: ['10.0.0.1/24'], ...(!onBridge && { vlan }) },
        { node: 'sw', ifname: 'p-a', ...(onBridge && { vlan }) },
      ],
    },
  ],
});
const codes = (input: unknown) =>
  validate(input)
    .issues.filter((i) => i.severity === 'error')
    .map((i) => `${i.code} ${i.path.join('.')}`);

describe('bridge VLANs', () => {
  it('accepts a filtering bridge with access and trunk ports, and old labs without the fields', () => {
    expect(validate(lab({ vlanFiltering: true }, { pvid: 10 })).ok).toBe(true);
    expect(validate(lab({ vlanFiltering: true }, { tagged: [10, 20], untagged: false })).ok).toBe(true);
    expect(validate(lab({}, undefined)).ok).toBe(true);
  });

  it('VLAN settings need an end on a bridge that filters', () => {
    expect(codes(lab({}, { pvid: 10 }))).toEqual(['VlanNeedsFilteringBridge links.0.endpoints.1.vlan']);
    expect(codes(lab({ vlanFiltering: false }, { pvid: 10 }))).toEqual([
      'VlanNeedsFilteringBridge links.0.endpoints.1.vlan',
    ]);
    expect(codes(lab({ vlanFiltering: true }, { pvid: 10 }, false))).toEqual([
      'VlanNeedsFilteringBridge links.0.endpoints.0.vlan',
    ]);
    const msg = validate(lab({}, { pvid: 10 })).issues[0]?.message;
    expect(msg).toContain('vlanFiltering');
  });

  it('ids are 1–4094 and listed once', () => {
    expect(codes(lab({ vlanFiltering: true }, { pvid: 0 }))[0]).toMatch(/links\.0\.endpoints\.1\.vlan\.pvid/);
    expect(codes(lab({ vlanFiltering: true }, { tagged: [4095] }))[0]).toMatch(/vlan\.tagged\.0/);
    expect(codes(lab({ vlanFiltering: true }, { tagged: [10, 20, 10] }))).toEqual([
      'DuplicateVlan links.0.endpoints.1.vlan.tagged.2',
    ]);
    expect(codes(lab({ vlanFiltering: true }, { pvid: 10, tagged: [10] }))).toEqual([
      'DuplicateVlan links.0.endpoints.1.vlan.tagged.0',
    ]);
  });
});
