/** Test data for server tests: small valid labs in their input form (defaults not filled in). */
import type { LabInput } from '../../shared';

export function makeVethPairLab(name = 'veth-pair'): LabInput {
  return {
    version: 1,
    name,
    title: 'Two namespaces, one cable',
    nodes: [
      { id: 'red', kind: 'namespace', name: `${name.slice(0, 20)}-red` },
      { id: 'blue', kind: 'namespace', name: `${name.slice(0, 20)}-blue` },
    ],
    links: [
      {
        id: 'cable',
        kind: 'veth',
        endpoints: [
          { node: 'red', ifname: 'veth-red', addresses: ['10.0.0.1/24'] },
          { node: 'blue', ifname: 'veth-blue', addresses: ['10.0.0.2/24'] },
        ],
      },
    ],
  };
}
