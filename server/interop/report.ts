/**
 * Building the import report (one item per source node, link and file-wide setting, each with notes) and
 * printing it as text for the CLI. Pure.
 */
import type { ForeignFormat, ImportReport, ReportEffect, ReportItem, ReportNote } from '../../shared';

const RANK: Record<ReportEffect, number> = { imported: 0, approximated: 1, dropped: 2 };

export class Item {
  target: string | undefined;
  readonly notes: ReportNote[] = [];
  /** Set when the whole item did not make it into the lab. */
  droppedWhy: string | undefined;
  constructor(
    readonly kind: ReportItem['kind'],
    readonly source: string,
  ) {}
  info(text: string): this {
    this.notes.push({ effect: 'info', text });
    return this;
  }
  approximated(text: string): this {
    this.notes.push({ effect: 'approximated', text });
    return this;
  }
  /** Part of the item (an exec line, a field) did not carry over. */
  dropped(text: string): this {
    this.notes.push({ effect: 'dropped', text });
    return this;
  }
  /** The item itself is not in the lab. */
  drop(why: string): this {
    this.droppedWhy = why;
    this.target = undefined;
    return this;
  }
  toJSON(): ReportItem {
    let status: ReportEffect = this.droppedWhy ? 'dropped' : 'imported';
    if (!this.droppedWhy)
      for (const n of this.notes) if (n.effect !== 'info' && RANK[n.effect] > RANK[status]) status = 'approximated';
    const notes = this.droppedWhy ? [{ effect: 'dropped' as const, text: this.droppedWhy }, ...this.notes] : this.notes;
    return {
      kind: this.kind,
      source: this.source,
      ...(this.target ? { target: this.target } : {}),
      status,
      notes,
    };
  }
}

export class Reporter {
  readonly items: Item[] = [];
  private readonly labItems = new Map<string, Item>();
  add(kind: ReportItem['kind'], source: string): Item {
    const it = new Item(kind, source);
    this.items.push(it);
    return it;
  }
  /** The one lab-level item for a topic (`management network`, `images`, …): one warning each. */
  lab(topic: string): Item {
    let it = this.labItems.get(topic);
    if (!it) {
      it = this.add('lab', topic);
      this.labItems.set(topic, it);
    }
    return it;
  }
  build(format: ForeignFormat, source: string, lab: string): ImportReport {
    const items = this.items.map((i) => i.toJSON()).filter((i) => i.kind !== 'lab' || i.notes.length > 0);
    const counts = { imported: 0, approximated: 0, dropped: 0 };
    for (const i of items) if (i.kind !== 'lab') counts[i.status]++;
    return { format, source, lab, counts, items };
  }
}

/** The report as text: a summary line, then every item that is not plainly imported, with its notes. */
export function formatReport(r: ImportReport, opts: { verbose?: boolean } = {}): string {
  const lines: string[] = [];
  lines.push(
    `${r.source} (${r.format}) → lab "${r.lab}": ${r.counts.imported} imported, ${r.counts.approximated} approximated, ${r.counts.dropped} dropped`,
  );
  const mark: Record<string, string> = { imported: '✓', approximated: '≈', dropped: '✗' };
  for (const it of r.items) {
    if (!opts.verbose && it.status === 'imported' && it.notes.every((n) => n.effect === 'info')) continue;
    const target = it.target && it.target !== it.source ? ` → ${it.target}` : '';
    lines.push(`${it.kind === 'lab' ? '•' : mark[it.status]} ${it.kind} ${it.source}${target}: ${it.status}`);
    for (const n of it.notes)
      lines.push(`    ${n.effect === 'info' ? '-' : n.effect === 'dropped' ? 'dropped:' : '≈'} ${n.text}`);
  }
  return `${lines.join('\n')}\n`;
}
