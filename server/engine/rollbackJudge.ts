/**
 * Is an idempotent setter's effect already on the host? Rollback (and recovery) re-judge their inverses on a
 * fresh observation until nothing is left: a setter emitted again although the link already holds its
 * value would never let that loop finish, so a rollback that worked would be reported as failed.
 */
import { qdiscMatches } from './desired';
import type { AnyOpBody, ObservedLink } from './types';

export function setterHolds(inv: AnyOpBody, l: ObservedLink, master?: ObservedLink): boolean {
  switch (inv.kind) {
    case 'link.setUp':
      return l.adminUp === inv.up;
    case 'link.setMtu':
      return l.mtu === inv.mtu;
    case 'link.setMac':
      return l.mac !== undefined && l.mac.toLowerCase() === inv.mac.toLowerCase();
    case 'link.setMaster':
      return (l.master ?? null) === inv.master;
    case 'link.setAlias':
      return (l.alias ?? '') === inv.alias;
    case 'bridge.setStp':
      return l.stp !== undefined && l.stp === inv.on;
    case 'bridge.setVlanFiltering':
      return (l.vlanFiltering ?? false) === inv.on;
    case 'bridge.vlanAdd':
      // VLANs are read only on ports of a filtering bridge: on another port there is nothing to restore.
      if (l.vlans === undefined) return master?.vlanFiltering !== true;
      return l.vlans?.some((e) => e.vid === inv.vid && e.pvid === inv.pvid && e.untagged === inv.untagged) === true;
    case 'qdisc.replace':
      return qdiscMatches(inv.qdisc, l.qdisc);
    default:
      return false;
  }
}
