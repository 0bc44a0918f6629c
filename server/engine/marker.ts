/**
 * Ownership markers. Every object Netloom creates carries `netloom:<lab>:<object>` as its interface alias
 * (a namespace: on its `lo`). Only an exact, well-formed marker counts: `netloom:` prefixes with anything
 * else (spoofed, near-miss, truncated) are foreign.
 */
import { LAB_NAME_PATTERN } from '../../shared/names';
import type { Marker } from './types';

/** A node or link id, an endpoint `<link>#0|1`, or an attached interface `<node>/<ifname>`. */
const OBJECT = /^[A-Za-z][A-Za-z0-9_-]{0,47}(#[01]|\/[A-Za-z0-9_.-]{1,15})?$/;

export function formatMarker(lab: string, object: string): string {
  return `netloom:${lab}:${object}`;
}

export function parseMarker(alias: string | undefined | null): Marker | null {
  if (!alias?.startsWith('netloom:')) return null;
  const parts = alias.split(':');
  if (parts.length !== 3) return null;
  const [, lab, object] = parts as [string, string, string];
  if (!LAB_NAME_PATTERN.test(lab) || !OBJECT.test(object)) return null;
  return { lab, object };
}

/**
 * iproute2's batch reader cuts every line at `#` (comment), even inside quotes, so a marker such as
 * `netloom:lab:cable#0` cannot be written in a batch. The kernel alias therefore spells the endpoint suffix
 * `.0`/`.1` (ids never contain `.`, so this is unambiguous); the decoders map it back with aliasToMarker.
 */
export function markerToAlias(marker: string): string {
  return marker.replace(/#([01])$/, '.$1');
}
export function aliasToMarker(alias: string): string {
  // An attached interface (`<node>/<ifname>`) keeps its name as is, even one ending in `.0`.
  return alias.startsWith('netloom:') && !alias.includes('/') ? alias.replace(/\.([01])$/, '#$1') : alias;
}
