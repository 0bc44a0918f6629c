/** containerlab's ${VAR} rules (hellt/envsubst with NoReplace + NoDigit), from envsubst's own table. */
import { describe, expect, it } from 'vitest';
import { envsubst } from './envsubst';
import { ImportRefused } from './errors';

const env = { BAR: 'bar', FOO: 'foo', EMPTY: '' };
const sub = (s: string) => envsubst(s, env).text;

describe('envsubst', () => {
  it.each([
    ['$BAR', 'bar'],
    ['${BAR}baz', 'barbaz'],
    ['$BAR$FOO', 'barfoo'],
    ['$NOTSET', '$NOTSET'],
    ['${NOTSET}', '${NOTSET}'],
    ['${NOTSET-$BAR}', 'bar'],
    ['${NOTSET:=dflt}', 'dflt'],
    ['${EMPTY-$BAR}', ''],
    ['${EMPTY:-$BAR}', 'bar'],
    ['${EMPTY:=$BAR}', 'bar'],
    ['${NOTSET+hello}', ''],
    ['${EMPTY+hello}', 'hello'],
    ['$$BAR', '$BAR'],
    ['$1 ${1}', '$1 ${1}'],
    ['$_ x', '$_ x'],
    ['macvlan:${host_link:=ens3}', 'macvlan:ens3'],
  ])('%s → %s', (input, out) => {
    expect(sub(input)).toBe(out);
  });
  it('an unclosed ${ is refused with its line', () => {
    expect(() => sub('a\nb ${X')).toThrow(ImportRefused);
    try {
      sub('a\nb ${X');
    } catch (e) {
      expect((e as ImportRefused).line).toBe(2);
    }
  });
  it('reports what it substituted and what it left', () => {
    expect(envsubst('${A:=1} $B', {}).substitutions).toEqual([
      { variable: 'A', value: '1', how: 'default' },
      { variable: 'B', value: null, how: 'unset' },
    ]);
  });
});
