/** JSON Schema of the lab file format, generated from the zod schema (input shape: defaults optional). */
import { z } from 'zod';
import { Lab } from './lab';

export function labJsonSchemaText(): string {
  const schema = z.toJSONSchema(Lab, { io: 'input', unrepresentable: 'any' });
  return `${JSON.stringify({ ...schema, $id: 'https://netloom.dev/lab.schema.json', title: 'Netloom lab' }, null, 2)}\n`;
}
