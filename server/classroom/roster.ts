/**
 * The class list (pure): a roster file (one student name per line; `#` comments and blank lines skipped) or
 * `--students N` ("Student 1" … "Student N") becomes students with a stable id (a slug of the name, made
 * unique) and a personal token each. Tokens are minted here and nowhere else; they only ever reach the
 * teacher (banner, dashboard) and the student's own link.
 */
import { randomBytes } from 'node:crypto';

export interface RosterStudent {
  id: string;
  label: string;
  token: string;
}

export const MAX_STUDENTS = 200;
const MAX_NAME = 80;

export class RosterError extends Error {
  constructor(
    message: string,
    /** 1-based line of the roster file, when the problem is on one. */
    readonly line?: number,
  ) {
    super(line === undefined ? message : `line ${line}: ${message}`);
    this.name = 'RosterError';
  }
}

/** Names from a roster file's text: one per line, trimmed; `#…` comment lines and blank lines skipped. */
export function parseRoster(text: string): string[] {
  const names: string[] = [];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const name = raw.trim();
    if (name === '' || name.startsWith('#')) return;
    const line = i + 1;
    if (name.length > MAX_NAME) throw new RosterError(`a name is at most ${MAX_NAME} characters`, line);
    // Control characters would reach the banner, the dashboard and the CSV.
    if (/\p{Cc}/u.test(name)) throw new RosterError('a name may not contain control characters', line);
    const key = name.toLowerCase();
    if (seen.has(key)) throw new RosterError(`"${name}" is listed twice`, line);
    seen.add(key);
    names.push(name);
  });
  if (names.length === 0) throw new RosterError('the roster lists no student');
  if (names.length > MAX_STUDENTS) throw new RosterError(`at most ${MAX_STUDENTS} students`);
  return names;
}

/** "Student 1" … "Student N". */
export function numberedNames(n: number): string[] {
  if (!Number.isInteger(n) || n < 1 || n > MAX_STUDENTS)
    throw new RosterError(`--students must be 1–${MAX_STUDENTS} (got ${n})`);
  return Array.from({ length: n }, (_, i) => `Student ${i + 1}`);
}

/** A name's id: lowercase ASCII letters and digits, other runs become one dash ("Zoë O'Neil" → "zo-o-neil"). */
export function slug(name: string): string {
  const s = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 32)
    .replace(/-+$/, '');
  return s || 'student';
}

export const mintToken = (): string => randomBytes(24).toString('base64url');

/** Students for `names`, in order: unique ids (`alice`, `alice-2`, …) and a fresh token each. */
export function makeRoster(names: readonly string[], mint: () => string = mintToken): RosterStudent[] {
  const used = new Set<string>();
  return names.map((label) => {
    const base = slug(label);
    let id = base;
    for (let k = 2; used.has(id); k++) id = `${base}-${k}`;
    used.add(id);
    return { id, label, token: mint() };
  });
}
