/** Layout: how the design is drawn (positions, viewport, notes). Stored beside a lab; never affects a plan. */
import * as z from 'zod';
import { Id } from './lab';

export const Position = z.strictObject({ x: z.number().finite(), y: z.number().finite() });
export type Position = z.infer<typeof Position>;

export const Note = z.strictObject({
  id: Id,
  x: z.number().finite(),
  y: z.number().finite(),
  text: z.string().max(4000),
});
export type Note = z.infer<typeof Note>;

export const Layout = z.strictObject({
  version: z.literal(1),
  /** Node id → top-left position on the canvas. */
  positions: z.record(z.string().max(64), Position).default({}),
  viewport: z
    .strictObject({ x: z.number().finite(), y: z.number().finite(), zoom: z.number().positive().finite() })
    .optional(),
  notes: z.array(Note).max(1000).default([]),
});
export type Layout = z.infer<typeof Layout>;

export const emptyLayout = (): Layout => ({ version: 1, positions: {}, notes: [] });
