/**
 * parseClabYaml(text): the ONE place the importers read YAML — strict (duplicate keys refused, as
 * containerlab's yaml.UnmarshalStrict does), bounded (size, alias expansion). When server/store gains the
 * shared bounded parser, swap the body of this function for it. Pure.
 */
import { parseDocument } from 'yaml';
import { checkSize, ImportRefused } from './errors';

export function parseClabYaml(text: string): unknown {
  checkSize(text);
  // merge: containerlab reads YAML with go-yaml v2, which honours `<<` merge keys.
  const doc = parseDocument(text, { uniqueKeys: true, merge: true, prettyErrors: false });
  const err = doc.errors[0];
  if (err) {
    const line = err.linePos?.[0]?.line;
    const first = err.message.split('\n')[0] ?? 'parse error';
    if (err.code === 'DUPLICATE_KEY')
      throw new ImportRefused('syntax', 'duplicate-key', `duplicate key in the YAML (${first})`, line);
    throw new ImportRefused('syntax', 'yaml', `not valid YAML: ${first}`, line);
  }
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new ImportRefused('syntax', 'yaml', `the YAML cannot be read: ${(e as Error).message.split('\n')[0]}`);
  }
}
