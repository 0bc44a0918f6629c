/**
 * Results export (pure): one row per student and goal — `student,goal,points,passed,time` — where points
 * are the points earned (the goal's when passed, else 0) and time is the seconds from the attempt's start
 * to the verdict that passed it (empty when not passed). Cells are quoted as RFC 4180 wants, and a cell a
 * spreadsheet would run as a formula (= + - @ first) gets a leading apostrophe.
 */
import type { ClassroomDashboard } from '../../shared';

export const CSV_HEADER = ['student', 'goal', 'points', 'passed', 'time'] as const;

export function csvCell(value: string | number): string {
  let s = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function resultsCsv(d: Pick<ClassroomDashboard, 'students'>): string {
  const rows: (string | number)[][] = [[...CSV_HEADER]];
  for (const s of d.students) {
    if (!s.report) continue;
    const start = s.startedAt ? Date.parse(s.startedAt) : Number.NaN;
    for (const g of s.report.goals) {
      const passed = g.met === true;
      const secs = passed && Number.isFinite(start) ? Math.max(0, (Date.parse(g.at) - start) / 1000) : null;
      rows.push([s.label, g.title, passed ? g.points : 0, passed ? 'yes' : 'no', secs === null ? '' : secs.toFixed(1)]);
    }
  }
  return `${rows.map((r) => r.map(csvCell).join(',')).join('\r\n')}\r\n`;
}
