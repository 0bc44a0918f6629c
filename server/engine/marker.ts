/**
 * Ownership markers. Every object Netloom creates carries `netloom:<lab>:<object>` as its interface alias
 * (a namespace: on its `lo`). Only an exact, well-formed marker counts: `netloom:` prefixes with anything
 * else (spoofed, near-miss, truncated) are foreign.
 */
import { LAB_NAME_PATTERN } from '../../shared';
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
