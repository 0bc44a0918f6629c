/**
 * Writes shared/lab.schema.json (JSON Schema of the lab file format, for users and editors) from the zod
 * schema. With --check, exits 1 if the committed file is stale instead of writing it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { labJsonSchemaText } from '../shared/jsonSchema';

const file = fileURLToPath(new URL('../shared/lab.schema.json', import.meta.url));
const text = labJsonSchemaText();
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(file, 'utf8');
  } catch {}
  if (current !== text) {
    console.error('shared/lab.schema.json is stale: run `npm run gen:schema` and commit it');
    process.exit(1);
  }
} else {
  writeFileSync(file, text);
  console.log(`wrote ${file}`);
}
