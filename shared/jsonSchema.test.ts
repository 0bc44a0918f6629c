/** The committed JSON Schema (for users and editors) must match the zod schema it is generated from. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { exerciseJsonSchemaText, labJsonSchemaText } from './jsonSchema';

describe('shared/lab.schema.json', () => {
  it('is up to date: regenerate with `npx tsx scripts/gen-schema.ts` (npm run gen:schema) and commit it', () => {
    const committed = readFileSync(fileURLToPath(new URL('./lab.schema.json', import.meta.url)), 'utf8');
    // toBe on the whole text would print a 1000-line diff; compare parsed first for a readable failure.
    expect(JSON.parse(committed)).toEqual(JSON.parse(labJsonSchemaText()));
    expect(committed).toBe(labJsonSchemaText());
  });

  it('describes the lab format with an $id and the interface-name length bound', () => {
    const schema = JSON.parse(labJsonSchemaText());
    expect(schema.$id).toBe('https://netloom.dev/lab.schema.json');
    expect(schema.required).toEqual(expect.arrayContaining(['version', 'name', 'nodes', 'links']));
    expect(schema.additionalProperties).toBe(false);
  });
});

describe('shared/exercise.schema.json', () => {
  it('is up to date: regenerate with `npm run gen:schema` and commit it', () => {
    const committed = readFileSync(fileURLToPath(new URL('./exercise.schema.json', import.meta.url)), 'utf8');
    expect(JSON.parse(committed)).toEqual(JSON.parse(exerciseJsonSchemaText()));
    expect(committed).toBe(exerciseJsonSchemaText());
  });

  it('describes the exercise format: goals with checks, locks, a starting lab', () => {
    const schema = JSON.parse(exerciseJsonSchemaText());
    expect(schema.$id).toBe('https://netloom.dev/exercise.schema.json');
    expect(schema.required).toEqual(expect.arrayContaining(['version', 'title', 'instructions', 'lab', 'goals']));
    expect(JSON.stringify(schema)).toContain('"wireguard"');
  });
});
