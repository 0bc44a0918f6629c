/** JSON Schemas of the lab and exercise file formats, generated from the zod schemas (input shape: defaults optional). */
import * as z from 'zod';
import { Exercise } from './exercise';
import { Lab } from './lab';

export function labJsonSchemaText(): string {
  const schema = z.toJSONSchema(Lab, { io: 'input', unrepresentable: 'any' });
  return `${JSON.stringify({ ...schema, $id: 'https://netloom.dev/lab.schema.json', title: 'Netloom lab' }, null, 2)}\n`;
}

export function exerciseJsonSchemaText(): string {
  // The lab appears twice (start, solution): once in $defs.
  const schema = z.toJSONSchema(Exercise, { io: 'input', unrepresentable: 'any', reused: 'ref' });
  return `${JSON.stringify({ ...schema, $id: 'https://netloom.dev/exercise.schema.json', title: 'Netloom exercise' }, null, 2)}\n`;
}
