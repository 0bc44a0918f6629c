/**
 * Test data factories for every tier (shared, server, client, e2e): small valid lab objects with defaults
 * filled in, overridable field by field. `makeLab()` alone is the default lab: two namespaces on a veth.
 * Pure; no randomness, so tests stay deterministic.
 */
import type { BridgeNode, Endpoint, HostNode, Lab, LabLink, LabNode, NamespaceNode, VethLink } from '../lab';

export function makeNamespace(overrides: Partial<NamespaceNode> = {}): NamespaceNode {
  const id = overrides.id ?? 'ns1';
  return { id, kind: 'namespace', name: id, forwarding: false, routes: [], ...overrides };
}

export function makeBridge(overrides: Partial<BridgeNode> = {}): BridgeNode {
  const id = overrides.id ?? 'br1';
  return { id, kind: 'bridge', name: id, addresses: [], ...overrides };
}

export function makeHost(overrides: Partial<HostNode> = {}): HostNode {
  return { id: 'host', kind: 'host', ...overrides };
}

/** One end of a veth: `node` is the id of the namespace, bridge or host it lives in. */
export function makeEndpoint(node: string, overrides: Partial<Endpoint> = {}): Endpoint {
  return { node, ifname: 'eth0', addresses: [], up: true, ...overrides };
}

type EndpointSpec = string | (Partial<Endpoint> & { node: string });
const endpoint = (spec: EndpointSpec): Endpoint =>
  typeof spec === 'string' ? makeEndpoint(spec) : makeEndpoint(spec.node, spec);

/**
 * A veth between two nodes: `makeVeth('a', 'b')` or `makeVeth({ node: 'a', ifname: 'eth1', addresses: [...] }, 'b')`.
 * The id defaults to `a-b`.
 */
export function makeVeth(a: EndpointSpec, b: EndpointSpec, overrides: Partial<VethLink> = {}): VethLink {
  const ea = endpoint(a);
  const eb = endpoint(b);
  return { id: `${ea.node}-${eb.node}`, kind: 'veth', endpoints: [ea, eb], ...overrides };
}

/** A valid lab; without arguments: namespaces `ns1` (10.0.0.1/24) and `ns2` (10.0.0.2/24) joined by a veth. */
export function makeLab(overrides: Partial<Lab> & { nodes?: LabNode[]; links?: LabLink[] } = {}): Lab {
  const defaults: Lab = {
    version: 1,
    name: 'test-lab',
    nodes: [makeNamespace({ id: 'ns1' }), makeNamespace({ id: 'ns2' })],
    links: [
      makeVeth(
        { node: 'ns1', ifname: 'eth0', addresses: ['10.0.0.1/24'] },
        { node: 'ns2', ifname: 'eth0', addresses: ['10.0.0.2/24'] },
        { id: 'link1' },
      ),
    ],
  };
  return { ...defaults, ...overrides };
}
