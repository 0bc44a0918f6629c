/** Test data factories for client tests (one place; reused by every client test). */
import type { Endpoint, Lab, LabNode, VethLink } from '../../../shared/lab';

export const makeNamespace = (id: string, name = id, extra: Partial<LabNode> = {}): LabNode =>
  ({ id, kind: 'namespace', name, forwarding: false, routes: [], ...extra }) as LabNode;
export const makeBridge = (id: string, name = id, extra: Partial<LabNode> = {}): LabNode =>
  ({ id, kind: 'bridge', name, addresses: [], ...extra }) as LabNode;
export const makeEndpoint = (node: string, ifname: string, addresses: string[] = []): Endpoint => ({
  node,
  ifname,
  addresses,
  up: true,
});
export const makeVeth = (id: string, a: Endpoint, b: Endpoint): VethLink => ({ id, kind: 'veth', endpoints: [a, b] });

export function makeLab(partial: Partial<Lab> = {}): Lab {
  return { version: 1, name: 'test-lab', nodes: [], links: [], ...partial };
}

/** The default example: two namespaces joined by one veth. */
export function makeVethPair(): Lab {
  return makeLab({
    name: 'veth-pair',
    nodes: [makeNamespace('red'), makeNamespace('blue')],
    links: [
      makeVeth(
        'l1',
        makeEndpoint('red', 'red-eth0', ['10.0.0.1/30']),
        makeEndpoint('blue', 'blue-eth0', ['10.0.0.2/30']),
      ),
    ],
  });
}
