/** Pure text for egress impairments (edge badges, inspector): "⏱ 1 Mbit/s · delay 50 ms ±5 ms · loss 1%". */
import type { Impairment } from '../../../shared/lab';

/** 1000 → "1 Mbit/s", 1500 → "1.5 Mbit/s", 512 → "512 kbit/s", 2_500_000 → "2.5 Gbit/s". */
export function formatKbit(kbit: number): string {
  const trim = (n: number) => String(Number(n.toFixed(2)));
  if (kbit >= 1_000_000) return `${trim(kbit / 1_000_000)} Gbit/s`;
  if (kbit >= 1000) return `${trim(kbit / 1000)} Mbit/s`;
  return `${trim(kbit)} kbit/s`;
}

/** The badge text of one end's impairment; undefined when it sets nothing. */
export function impairmentLabel(imp: Impairment | undefined): string | undefined {
  if (!imp) return undefined;
  const parts: string[] = [];
  if (imp.rateKbit !== undefined) parts.push(`⏱ ${formatKbit(imp.rateKbit)}`);
  if (imp.delayMs !== undefined) parts.push(`delay ${imp.delayMs} ms${imp.jitterMs ? ` ±${imp.jitterMs} ms` : ''}`);
  else if (imp.jitterMs) parts.push(`jitter ${imp.jitterMs} ms`);
  if (imp.lossPct !== undefined) parts.push(`loss ${imp.lossPct}%`);
  if (imp.duplicatePct !== undefined) parts.push(`dup ${imp.duplicatePct}%`);
  if (imp.corruptPct !== undefined) parts.push(`corrupt ${imp.corruptPct}%`);
  return parts.length ? parts.join(' · ') : undefined;
}
