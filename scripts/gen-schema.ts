/**
 * Writes shared/lab.schema.json and shared/exercise.schema.json (JSON Schemas of the lab and exercise file
 * formats, for users and editors) from the zod schemas. With --check, exits 1 if a committed file is stale
 * instead of writing it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { exerciseJsonSchemaText, labJsonSchemaText } from '../shared/jsonSchema';

const files: [string, string][] = [
  ['lab.schema.json', labJsonSchemaText()],
  ['exercise.schema.json', exerciseJsonSchemaText()],
];
let stale = false;
for (const [name, text] of files) {
  const file = fileURLToPath(new URL(`../shared/${name}`, import.meta.url));
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(file, 'utf8');
    } catch {}
    if (current !== text) {
      console.error(`shared/${name} is stale: run \`npm run gen:schema\` and commit it`);
      stale = true;
    }
  } else {
    writeFileSync(file, text);
    console.log(`wrote ${file}`);
  }
}
if (stale) process.exit(1);
