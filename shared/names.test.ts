import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { byteLength, IPROUTE2_KEYWORDS, ifnameProblem, netnsNameProblem, quoteName } from './names';

describe('ifnameProblem', () => {
  it.each([
    'eth0',
    'a',
    'veth-red',
    'x_y.z',
    'br0.100',
    'abcdefghijklmn',
    'abcdefghijklmno',
    '_x',
    '0',
    'helpme',
    'eth-',
  ])('accepts %j', (name) => expect(ifnameProblem(name)).toBeNull());

  it.each([
    ['', /empty/],
    ['abcdefghijklmnop', /16 bytes/], // 16 ASCII characters
    ['abcdefghijklmné', /16 bytes/], // 15 characters, but é is 2 bytes in UTF-8: IFNAMSIZ counts bytes
    ['-x', /start with "-"/],
    ['.x', /start with "."/],
    ['.', /start with "."/],
    ['..', /start with "."/],
    ['eth%d', /letters/], // a kernel numbering template; "%" is also outside the allowlist
    ['dev', /keyword/],
    ['DEV', /keyword/],
    ['master', /keyword/],
    ['h', /help/],
    ['he', /help/],
    ['hel', /help/],
    ['help', /keyword/],
    ['a b', /letters/],
    ['a;b', /letters/],
    ['a$(id)', /letters/],
    ['a/b', /letters/],
    ['a:b', /letters/],
    ['é', /letters/],
    ['eth0\n', /letters/],
  ])('rejects %j', (name, why) => {
    expect(ifnameProblem(name)).toMatch(why);
  });

  it('counts bytes, not characters', () => {
    expect(byteLength('abcdefghijklmné')).toBe(16);
    expect(byteLength('🙂')).toBe(4);
  });

  it('property: byteLength is the UTF-8 length TextEncoder gives (lone surrogates included)', () => {
    const utf8 = new TextEncoder();
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }),
        fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }),
        (a, b) => {
          for (const s of [a, b, a + b]) expect(byteLength(s)).toBe(utf8.encode(s).length);
        },
      ),
    );
  });

  it('property: an accepted name is 1–15 bytes of [A-Za-z0-9_.-], not starting with "-" or ".", not a keyword', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[A-Za-z0-9_.%-]{0,17}$/)), (name) => {
        if (ifnameProblem(name) !== null) return;
        expect(name).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/);
        expect(IPROUTE2_KEYWORDS.has(name.toLowerCase())).toBe(false);
      }),
      { numRuns: 5000 },
    );
  });
});

describe('netnsNameProblem', () => {
  it.each(['red', 'ns.1', 'lab-a_b', 'x'.repeat(64), 'abcdefghijklmnopqrstuvwxyz'])('accepts %j', (name) =>
    expect(netnsNameProblem(name)).toBeNull(),
  );

  it.each([
    ['', /empty/],
    ['.', /"\."/], // a netns name is a file under /run/netns: "." and ".." are directories
    ['..', /"\."/],
    ['.hidden', /"\."/],
    ['a/b', /letters/], // would escape /run/netns
    ['../etc', /letters|"\."/],
    ['x'.repeat(65), /65 bytes/],
    ['é'.repeat(33), /66 bytes/],
    ['default', /keyword/],
    ['all', /keyword/],
    ['-n', /start with "-"/],
    ['a b', /letters/],
  ])('rejects %j', (name, why) => {
    expect(netnsNameProblem(name)).toMatch(why);
  });
});

describe('messages', () => {
  it('quote a name escaped and cut short, so a 1 MB name never makes a 1 MB message', () => {
    expect(quoteName('a\nb')).toBe('"a\\nb"');
    expect(quoteName('x'.repeat(1000))).toBe(`"${'x'.repeat(24)}…"`);
    expect(netnsNameProblem('x'.repeat(1_000_000))!.length).toBeLessThan(200);
    expect(ifnameProblem(`;${'x'.repeat(10)}`)!.length).toBeLessThan(200);
  });
});
