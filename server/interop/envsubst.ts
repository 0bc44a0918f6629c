/**
 * containerlab's environment-variable substitution, applied to the raw topology text before YAML
 * (github.com/hellt/envsubst with containerlab's restrictions: unset variables without a default stay as
 * written, `$1`-style names are never replaced). Pure: the variables come from the caller, never from
 * process.env here.
 *
 *   $VAR ${VAR}          value; unset → left as is
 *   ${VAR-d} ${VAR=d}    d when VAR is unset
 *   ${VAR:-d} ${VAR:=d}  d when VAR is unset or empty
 *   ${VAR+o} ${VAR:+o}   o when VAR is set, else empty
 *   $$                   a literal $
 * The default/other part is itself substituted.
 */
import { ImportRefused } from './errors';

export interface Substitution {
  variable: string;
  /** What the text became, or null when it was left as written (unset, no default). */
  value: string | null;
  how: 'environment' | 'default' | 'unset';
}

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;

export function envsubst(
  text: string,
  env: Readonly<Record<string, string | undefined>>,
): { text: string; substitutions: Substitution[] } {
  const substitutions: Substitution[] = [];
  const lineAt = (i: number) => text.slice(0, i).split('\n').length;
  const lookup = (name: string): string | undefined => (Object.hasOwn(env, name) ? env[name] : undefined);

  /** Expands text[from, to); returns the expansion. */
  function expand(from: number, to: number): string {
    let out = '';
    let i = from;
    while (i < to) {
      const c = text[i]!;
      if (c !== '$' || i + 1 >= to) {
        out += c;
        i++;
        continue;
      }
      const next = text[i + 1]!;
      if (next === '$') {
        out += '$';
        i += 2;
        continue;
      }
      if (next === '{') {
        const close = matchingBrace(i + 2, to);
        if (close < 0) throw new ImportRefused('syntax', 'env-variable', `"$\{" without a closing "}"`, lineAt(i));
        out += braced(i, i + 2, close);
        i = close + 1;
        continue;
      }
      if (NAME_START.test(next)) {
        let j = i + 1;
        while (j < to && NAME_CHAR.test(text[j]!)) j++;
        const name = text.slice(i + 1, j);
        if (name === '_') {
          out += text.slice(i, j);
        } else {
          const v = lookup(name);
          substitutions.push({ variable: name, value: v ?? null, how: v === undefined ? 'unset' : 'environment' });
          out += v ?? text.slice(i, j);
        }
        i = j;
        continue;
      }
      // `$1`, `$-`, `$ `: not a variable here (digit names are never replaced).
      out += c;
      i++;
    }
    return out;
  }

  function matchingBrace(from: number, to: number): number {
    let depth = 1;
    for (let j = from; j < to; j++) {
      if (text[j] === '{') depth++;
      else if (text[j] === '}' && --depth === 0) return j;
    }
    return -1;
  }

  /** `${…}` spanning text[dollar, close]; inner starts at `start`. */
  function braced(dollar: number, start: number, close: number): string {
    const original = text.slice(dollar, close + 1);
    let j = start;
    while (j < close && NAME_CHAR.test(text[j]!)) j++;
    const name = text.slice(start, j);
    if (name === '' || name === '_' || !NAME_START.test(name[0]!)) return original; // `${1}`, `${_}`: left alone
    const rest = text.slice(j, close);
    const v = lookup(name);
    if (rest === '') {
      substitutions.push({ variable: name, value: v ?? null, how: v === undefined ? 'unset' : 'environment' });
      return v ?? original;
    }
    const colon = rest.startsWith(':');
    const op = rest[colon ? 1 : 0];
    if (op !== '-' && op !== '=' && op !== '+') return original; // not an expression envsubst knows
    const argStart = j + (colon ? 2 : 1);
    const missing = v === undefined || (colon && v === '');
    if (op === '+') {
      const value = v === undefined ? '' : expand(argStart, close);
      substitutions.push({ variable: name, value, how: v === undefined ? 'unset' : 'environment' });
      return value;
    }
    if (missing) {
      const value = expand(argStart, close);
      substitutions.push({ variable: name, value, how: 'default' });
      return value;
    }
    substitutions.push({ variable: name, value: v!, how: 'environment' });
    return v!;
  }

  return { text: expand(0, text.length), substitutions };
}
