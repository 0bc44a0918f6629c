/**
 * parseClabYaml(text): the ONE place the importers read YAML — strict (duplicate keys refused, as
 * containerlab's yaml.UnmarshalStrict does) and bounded by the shared document limits
 * (server/util/documents.ts: size, depth, nodes after alias expansion, keys, aliases). Pure.
 */
import { parseBounded } from '../util/documents';
import { ImportRefused, MAX_SOURCE_BYTES } from './errors';

export function parseClabYaml(text: string): unknown {
  // merge: containerlab reads YAML with go-yaml v2, which honours `<<` merge keys.
  const r = parseBounded(text, { format: 'yaml', merge: true, maxBytes: MAX_SOURCE_BYTES });
  if (r.ok) return r.value;
  const message = `the YAML ${r.message}`;
  switch (r.limit) {
    case 'maxBytes':
      throw new ImportRefused('too-large', 'size', message);
    case 'duplicateKey':
      throw new ImportRefused('syntax', 'duplicate-key', message, r.line);
    case 'syntax':
      throw new ImportRefused('syntax', 'yaml', message, r.line);
    default:
      // maxDepth, maxNodes, maxKeys, maxAliases: the construct is the limit's name.
      throw new ImportRefused('syntax', r.limit, message, r.line);
  }
}
