/**
 * The bounded document reader: each limit refuses with its name and a line, in YAML and JSON; real labs,
 * merge keys and shared aliases still read. (On main, each of these was a hang, a quadratic check, a stack
 * overflow or silently accepted duplicate keys.)
 */
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { makeVethPairLab } from '../testing/labs';
import { DocumentError, parseBounded, parseDocumentText } from './documents';
import { closeDocumentWorkers, parseDocumentTextAsync } from './documentsAsync';

afterAll(() => closeDocumentWorkers());

const refusal = (text: string, opts = {}) => {
  const r = parseBounded(text, opts);
  if (r.ok) throw new Error('expected a refusal');
  return r;
};

const laughs = (levels = 9) => {
  const lines = ['a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let i = 1; i < levels; i++) {
    const [p, c] = [String.fromCharCode(96 + i), String.fromCharCode(97 + i)];
    lines.push(`${c}: &${c} [${Array(9).fill(`*${p}`).join(', ')}]`);
  }
  return lines.join('\n');
};

describe('limits', () => {
  it('maxBytes: counted in UTF-8 bytes, before anything is parsed', () => {
    expect(refusal('a: ü\n', { maxBytes: 5 }).limit).toBe('maxBytes');
    expect(parseBounded('a: ü\n', { maxBytes: 6 }).ok).toBe(true);
    expect(() => parseDocumentText('x'.repeat(2_000_001))).toThrow(/limit maxBytes/);
  });

  it('maxDepth: block, compact block, flow and JSON nesting', () => {
    for (const text of [
      Array.from({ length: 70 }, (_, i) => `${'  '.repeat(i)}k:`).join('\n'),
      `${'- '.repeat(70)}x`,
      `${'['.repeat(70)}${']'.repeat(70)}`,
      `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
    ]) {
      for (const format of ['yaml', 'json'] as const) {
        if (format === 'json' && !text.startsWith('[')) continue;
        const r = refusal(text, { format });
        expect(r.limit).toBe('maxDepth');
        expect(r.message).toMatch(/64 levels .*limit maxDepth/);
      }
    }
    expect(parseBounded(`${'['.repeat(64)}${']'.repeat(64)}`, { format: 'json' }).ok).toBe(true);
    expect(parseBounded(`${'- '.repeat(60)}x`).ok).toBe(true);
  });

  it('maxNodes: the 180k-line key bomb and a 950k-element flow sequence, refused in the pre-scan', () => {
    const bomb = Array.from({ length: 180_000 }, (_, i) => `k${i}: v`).join('\n');
    expect(refusal(bomb).limit).toBe('maxNodes');
    const flow = `[${Array(950_000).fill('1').join(',')}]`;
    expect(refusal(flow, { format: 'yaml' }).limit).toBe('maxNodes');
    expect(refusal(flow, { format: 'json' }).limit).toBe('maxNodes');
    // The exact count (after the pre-scan): 1 map + 3 keys + 3 values.
    expect(refusal('a: 1\nb: 2\nc: 3\n', { maxNodes: 6 }).limit).toBe('maxNodes');
    expect(parseBounded('a: 1\nb: 2\nc: 3\n', { maxNodes: 7 }).ok).toBe(true);
  });

  it('maxNodes counts what aliases expand to (billion laughs), maxAliases counts aliases', () => {
    const r = refusal(laughs());
    expect(r.limit).toBe('maxNodes');
    expect(r.message).toMatch(/once its aliases are expanded/);
    expect(refusal('a: &a x\nb: [*a, *a, *a]\n', { maxAliases: 2 }).limit).toBe('maxAliases');
    // Small shared aliases read, as the same object.
    const v = parseDocumentText('a: &a {x: 1}\nb: *a\n') as { a: unknown; b: unknown };
    expect(v.b).toEqual({ x: 1 });
  });

  it('maxKeys: keys of one mapping or object, with the line', () => {
    const yaml = `name: x\nm:\n${Array.from({ length: 11 }, (_, i) => `  k${i}: v`).join('\n')}\n`;
    const r = refusal(yaml, { maxKeys: 10 });
    expect(r).toMatchObject({ limit: 'maxKeys', line: 3 });
    expect(
      refusal(JSON.stringify({ m: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, i])) }), {
        maxKeys: 10,
      }).limit,
    ).toBe('maxKeys');
    expect(parseBounded(yaml, { maxKeys: 11 }).ok).toBe(true);
  });

  it('duplicate keys are refused in YAML and in JSON (escapes decoded), naming the key and line', () => {
    expect(refusal('a: 1\nb:\n  c: 1\n  c: 2\n')).toMatchObject({ limit: 'duplicateKey', line: 4 });
    expect(refusal('{"a": 1,\n "b": {"c": 1, "\\u0063": 2}}')).toMatchObject({ limit: 'duplicateKey', line: 2 });
    expect(refusal('{"a": 1, "a": 1}').message).toMatch(/duplicate key "a"/);
    // Same key in different objects, or as a value, is fine.
    expect(parseBounded('{"a": {"a": "a"}, "b": ["a", "a"]}').ok).toBe(true);
    // `<<` merge keys when asked for (containerlab).
    expect(parseDocumentText('x: &x {a: 1}\ny:\n  <<: *x\n  b: 2\n', { merge: true })).toEqual({
      x: { a: 1 },
      y: { a: 1, b: 2 },
    });
  });

  it('a refusal is a DocumentError: 413 for size, 400 (InvalidLab, or the code asked for) otherwise', () => {
    const big = (() => {
      try {
        parseDocumentText('x: 1', { maxBytes: 2, label: 'the lab file' });
      } catch (e) {
        return e;
      }
    })() as DocumentError;
    expect(big).toBeInstanceOf(DocumentError);
    expect(big).toMatchObject({ code: 'PayloadTooLarge', limit: 'maxBytes' });
    expect(big.message).toMatch(/^the lab file is larger than 2 bytes \(limit maxBytes\)/);
    expect(() => parseDocumentText('{"a":1,"a":2}', { code: 'InvalidRequest' })).toThrow(
      expect.objectContaining({ code: 'InvalidRequest', limit: 'duplicateKey' }),
    );
    expect(() => parseDocumentText('a: [', { label: 'x.yaml' })).toThrow(/^x\.yaml is not valid YAML/);
  });

  it('a real lab reads the same as with the yaml package', () => {
    const lab = makeVethPairLab('same');
    expect(parseDocumentText(stringify(lab))).toEqual(lab);
    expect(parseDocumentText(JSON.stringify(lab))).toEqual(lab);
  });
});

describe('off the event loop', () => {
  it('a large YAML document is parsed in the worker and reads the same', { timeout: 60_000 }, async () => {
    const lab = makeVethPairLab('big');
    const text = `${stringify(lab)}# ${'padding '.repeat(4000)}\n`;
    expect(await parseDocumentTextAsync(text, { forceWorker: true })).toEqual(lab);
  });

  it('the deadline terminates a worker that takes too long', { timeout: 60_000 }, async () => {
    const text = Array.from({ length: 20_000 }, (_, i) => `k${i}: v`).join('\n');
    await expect(
      parseDocumentTextAsync(text, { forceWorker: true, deadlineMs: 1, maxKeys: 50_000 }),
    ).rejects.toMatchObject({
      limit: 'deadline',
      code: 'PayloadTooLarge',
    });
    // The next parse gets a fresh worker.
    expect(await parseDocumentTextAsync('a: 1', { forceWorker: true })).toEqual({ a: 1 });
  });
});
