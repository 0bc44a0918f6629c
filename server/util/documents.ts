/**
 * parseDocumentText(text, opts): the one bounded reader of YAML and JSON documents from outside (lab files and
 * imports, request bodies, containerlab topologies, exercises, the CLI's files). Every limit is checked in
 * linear time before or while parsing, so no document can pin the CPU: size (maxBytes), nesting (maxDepth),
 * nodes after alias expansion (maxNodes), keys of one mapping (maxKeys), aliases (maxAliases); duplicate keys
 * are refused in JSON as in YAML (one Set per mapping, not the yaml package's quadratic check). A refusal is a
 * `DocumentError` (an AppError: 413 for size, 400 otherwise) naming the limit, the label and the line.
 * Pure (no node APIs): the interop importers use it as is; `documentsAsync.ts` runs it in a worker with a
 * deadline for large documents, off the server's event loop.
 *
 * YAML goes through three stages: a character pre-scan (a generous over-estimate of the node count and the
 * flow nesting: a bomb never reaches the yaml package, whose lexer alone needs about 1 s for 2 MB), the yaml
 * package's CST parser (iterative) with an exact nesting check on the CST (its composer recurses), then the
 * composed document walked once in order: nodes, aliases (each counts the size of what it expands to),
 * keys and duplicates. Only then is it turned into plain data (aliases stay shared references).
 */
import { Composer, type CST, type Document, isAlias, isMap, isScalar, isSeq, type Node, Parser } from 'yaml';
import type { ErrorCode } from '../../shared';
import { AppError } from '../errors';

export type DocumentFormat = 'yaml' | 'json' | 'auto';

export interface DocumentLimits {
  /** UTF-8 bytes of the text. */
  maxBytes: number;
  /** Nested collections (mappings, sequences, objects, arrays). */
  maxDepth: number;
  /** Nodes (keys, values, collections), aliases counted as the size of what they expand to. */
  maxNodes: number;
  /** Keys of one mapping or object. */
  maxKeys: number;
  /** Alias nodes (`*name`) in the document. */
  maxAliases: number;
}

/** Which limit refused a document; `duplicateKey`/`syntax` are not counts, `deadline` is the worker's. */
export type DocumentLimit = keyof DocumentLimits | 'duplicateKey' | 'syntax' | 'deadline';

/** Far above any real lab (a 1000-namespace lab is about 310 KB and 40k nodes), far below a stall. */
export const DOCUMENT_LIMITS: Readonly<DocumentLimits> = Object.freeze({
  maxBytes: 2_000_000,
  maxDepth: 64,
  maxNodes: 100_000,
  maxKeys: 10_000,
  maxAliases: 100,
});

export interface ParseDocumentOptions extends Partial<DocumentLimits> {
  /** `auto`: JSON when the text starts with `{` or `[`, else YAML. */
  format?: DocumentFormat;
  /** What the text is, for messages: "the lab file", "the request body", "topology.clab.yml". */
  label?: string;
  /** YAML `<<` merge keys (containerlab's go-yaml honours them). */
  merge?: boolean;
  /** The AppError code of refusals other than size (InvalidLab by default; request bodies: InvalidRequest). */
  code?: ErrorCode;
}

/** A refused document: `.limit` names the rule, `.line` (1-based) where it was hit when known. */
export class DocumentError extends AppError {
  readonly limit: DocumentLimit;
  readonly line: number | undefined;
  constructor(code: ErrorCode, limit: DocumentLimit, message: string, line?: number) {
    super(code, message, [{ path: [], message, severity: 'error', code: limit === 'syntax' ? 'Syntax' : limit }]);
    this.name = 'DocumentError';
    this.limit = limit;
    this.line = line;
  }
}

/** The core's answer, plain data (it crosses the worker boundary). */
export type ParseOutcome =
  | { ok: true; value: unknown }
  | { ok: false; limit: DocumentLimit; message: string; line?: number };

class Refusal {
  constructor(
    readonly limit: DocumentLimit,
    readonly message: string,
    readonly offset?: number,
  ) {}
}

export function lineAt(text: string, offset: number): number {
  let line = 1;
  const end = Math.min(offset, text.length);
  for (let i = text.indexOf('\n'); i >= 0 && i < end; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

function utf8Bytes(text: string, stopAbove: number): number {
  if (text.length * 3 <= stopAbove) return text.length; // cannot exceed: skip the count
  if (!NON_ASCII.test(text)) return text.length;
  let n = 0;
  for (let i = 0; i < text.length && n <= stopAbove; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range
const NON_ASCII = /[^\x00-\x7f]/;

const resolveLimits = (o: ParseDocumentOptions): DocumentLimits => ({
  maxBytes: o.maxBytes ?? DOCUMENT_LIMITS.maxBytes,
  maxDepth: o.maxDepth ?? DOCUMENT_LIMITS.maxDepth,
  maxNodes: o.maxNodes ?? DOCUMENT_LIMITS.maxNodes,
  maxKeys: o.maxKeys ?? DOCUMENT_LIMITS.maxKeys,
  maxAliases: o.maxAliases ?? DOCUMENT_LIMITS.maxAliases,
});

export const formatOf = (text: string, format: DocumentFormat = 'auto'): 'json' | 'yaml' =>
  format !== 'auto' ? format : /^\s*[{[]/.test(text) ? 'json' : 'yaml';

// ---- JSON: one pass over the characters (limits, duplicate keys), then JSON.parse (iterative in V8) ----

interface JsonFrame {
  keys: Set<string> | null;
  expectKey: boolean;
}

function scanJson(text: string, lim: DocumentLimits): void {
  const stack: JsonFrame[] = [];
  let nodes = 0;
  const node = (at: number) => {
    if (++nodes > lim.maxNodes)
      throw new Refusal('maxNodes', `has more than ${lim.maxNodes} values (limit maxNodes)`, at);
  };
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b || c === 0x5b) {
      // { [
      node(i);
      const top = stack[stack.length - 1];
      if (top?.keys) top.expectKey = false;
      if (stack.length + 1 > lim.maxDepth)
        throw new Refusal('maxDepth', `is nested more than ${lim.maxDepth} levels deep (limit maxDepth)`, i);
      stack.push({ keys: c === 0x7b ? new Set() : null, expectKey: c === 0x7b });
    } else if (c === 0x7d || c === 0x5d) stack.pop();
    else if (c === 0x2c) {
      const top = stack[stack.length - 1];
      if (top?.keys) top.expectKey = true;
    } else if (c === 0x22) {
      // The closing quote: the next `"` not escaped by an odd run of backslashes (indexOf: native speed).
      let j = text.indexOf('"', i + 1);
      for (;;) {
        if (j < 0) {
          j = n;
          break;
        }
        let b = j - 1;
        while (b > i && text.charCodeAt(b) === 0x5c) b--;
        if ((j - 1 - b) % 2 === 0) break;
        j = text.indexOf('"', j + 1);
      }
      const top = stack[stack.length - 1];
      if (top?.keys && top.expectKey) {
        let key = text.slice(i + 1, j);
        if (key.includes('\\')) {
          try {
            key = JSON.parse(text.slice(i, j + 1)) as string;
          } catch {}
        }
        if (top.keys.has(key)) throw new Refusal('duplicateKey', `has a duplicate key "${short(key)}"`, i);
        top.keys.add(key);
        if (top.keys.size > lim.maxKeys)
          throw new Refusal('maxKeys', `has an object with more than ${lim.maxKeys} keys (limit maxKeys)`, i);
        top.expectKey = false;
      }
      node(i);
      i = j;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39) || c === 0x74 || c === 0x66 || c === 0x6e) {
      // a number or true/false/null: one value; skip the rest of the token
      node(i);
      let j = i + 1;
      while (j < n && isTokenChar(text.charCodeAt(j))) j++;
      i = j - 1;
    }
  }
}

const isTokenChar = (c: number) =>
  (c >= 0x30 && c <= 0x39) ||
  (c >= 0x61 && c <= 0x7a) ||
  (c >= 0x41 && c <= 0x5a) ||
  c === 0x2e ||
  c === 0x2b ||
  c === 0x2d;

const short = (s: string) => (s.length > 40 ? `${s.slice(0, 40)}…` : s);

function parseJson(text: string, lim: DocumentLimits): unknown {
  scanJson(text, lim);
  try {
    return JSON.parse(text);
  } catch (e) {
    const msg = e instanceof Error ? e.message.split('\n')[0] : 'parse error';
    const pos = /position (\d+)/.exec(msg ?? '');
    throw new Refusal('syntax', `is not valid JSON: ${msg}`, pos ? Number(pos[1]) : undefined);
  }
}

// ---- YAML ----

/**
 * Over-estimates the nodes (every line, comma, bracket, anchor, alias and `- `/`: `/`? ` indicator counts
 * one) and tracks the flow nesting by brackets. Prose with many commas overestimates; the factor 2 keeps any
 * document with at most maxNodes real nodes well inside.
 */
function prescanYaml(text: string, lim: DocumentLimits): void {
  const budget = 2 * lim.maxNodes + 1000;
  let est = 0;
  let flow = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    switch (c) {
      case 0x0a: // \n
      case 0x2c: // ,
      case 0x26: // &
      case 0x2a: // *
        est++;
        break;
      case 0x5b: // [
      case 0x7b: // {
        est++;
        if (++flow > lim.maxDepth)
          throw new Refusal('maxDepth', `is nested more than ${lim.maxDepth} levels deep (limit maxDepth)`, i);
        break;
      case 0x5d:
      case 0x7d:
        if (flow > 0) flow--;
        break;
      case 0x2d: // -
      case 0x3a: // :
      case 0x3f: {
        // ?
        const d = i + 1 < n ? text.charCodeAt(i + 1) : 0x20;
        if (d === 0x20 || d === 0x0a || d === 0x0d || d === 0x09) est++;
        break;
      }
    }
    if (est > budget) throw new Refusal('maxNodes', `has more than ${lim.maxNodes} nodes (limit maxNodes)`, i);
  }
}

/** The nesting of the CST, walked with an explicit stack (the composer that follows recurses). */
function checkCstDepth(tokens: CST.Token[], lim: DocumentLimits): void {
  const stack: [CST.Token, number][] = [];
  for (const t of tokens) if (t.type === 'document' && t.value) stack.push([t.value, 1]);
  while (stack.length) {
    const [t, depth] = stack.pop() as [CST.Token, number];
    if (t.type !== 'block-map' && t.type !== 'block-seq' && t.type !== 'flow-collection') continue;
    if (depth > lim.maxDepth)
      throw new Refusal('maxDepth', `is nested more than ${lim.maxDepth} levels deep (limit maxDepth)`, t.offset);
    for (const it of t.items) {
      if ('key' in it && it.key) stack.push([it.key, depth + 1]);
      if (it.value) stack.push([it.value, depth + 1]);
    }
  }
}

const offsetOf = (n: { range?: [number, number, number] | null | undefined }): number | undefined =>
  n.range?.[0] ?? undefined;

/** Counts nodes (aliases as what they expand to), aliases, keys and duplicates, in document order. */
function checkComposed(doc: Document, lim: DocumentLimits, merge: boolean): void {
  const anchors = new Map<string, Node>();
  const sizes = new Map<Node, number>();
  let total = 0;
  let aliases = 0;
  const add = (k: number, at: number | undefined) => {
    total += k;
    if (total > lim.maxNodes)
      throw new Refusal(
        'maxNodes',
        `has more than ${lim.maxNodes} nodes${aliases ? ' once its aliases are expanded' : ''} (limit maxNodes)`,
        at,
      );
  };
  const walk = (node: unknown, depth: number): number => {
    if (node === null || node === undefined) return 0;
    if (isAlias(node)) {
      if (++aliases > lim.maxAliases)
        throw new Refusal('maxAliases', `has more than ${lim.maxAliases} aliases (limit maxAliases)`, offsetOf(node));
      const target = anchors.get(node.source);
      if (!target) throw new Refusal('syntax', `refers to an unknown anchor "*${short(node.source)}"`, offsetOf(node));
      const size = sizes.get(target);
      if (size === undefined)
        throw new Refusal('maxAliases', `has an alias "*${short(node.source)}" inside its own anchor`, offsetOf(node));
      add(size, offsetOf(node));
      return size;
    }
    if (depth > lim.maxDepth)
      throw new Refusal(
        'maxDepth',
        `is nested more than ${lim.maxDepth} levels deep (limit maxDepth)`,
        offsetOf(node as Node),
      );
    const n = node as Node;
    if (n.anchor) anchors.set(n.anchor, n);
    add(1, offsetOf(n));
    let size = 1;
    if (isMap(n)) {
      if (n.items.length > lim.maxKeys)
        throw new Refusal('maxKeys', `has a mapping with more than ${lim.maxKeys} keys (limit maxKeys)`, offsetOf(n));
      const seen = new Set<string>();
      for (const pair of n.items) {
        const k = pair.key;
        if (isScalar(k)) {
          const name = String(k.value);
          if (!(merge && name === '<<')) {
            if (seen.has(name)) throw new Refusal('duplicateKey', `has a duplicate key "${short(name)}"`, offsetOf(k));
            seen.add(name);
          }
        } else if (k !== null && k !== undefined && !isAlias(k))
          throw new Refusal('syntax', 'has a mapping key that is not a plain value', offsetOf(k as Node));
        size += walk(k, depth + 1);
        size += walk(pair.value, depth + 1);
      }
    } else if (isSeq(n)) {
      for (const item of n.items) size += walk(item, depth + 1);
    }
    sizes.set(n, size);
    return size;
  };
  walk(doc.contents, 1);
}

function parseYaml(text: string, lim: DocumentLimits, merge: boolean): unknown {
  prescanYaml(text, lim);
  const tokens = [...new Parser().parse(text)];
  checkCstDepth(tokens, lim);
  const composer = new Composer({ uniqueKeys: false, merge, prettyErrors: false });
  let doc: Document.Parsed | null = null;
  for (const d of composer.compose(tokens, true, text.length)) {
    if (doc) throw new Refusal('syntax', 'holds more than one YAML document', d.range[0]);
    doc = d;
  }
  if (!doc) return null;
  const err = doc.errors[0];
  if (err) throw new Refusal('syntax', `is not valid YAML: ${err.message.split('\n')[0]}`, err.pos[0]);
  checkComposed(doc, lim, merge);
  try {
    // Sizes are bounded above; aliases become shared references (no expansion here).
    return doc.toJS({ maxAliasCount: -1 });
  } catch (e) {
    throw new Refusal('syntax', `cannot be read: ${(e as Error).message.split('\n')[0]}`);
  }
}

const refused = (text: string, e: unknown, fmt: string): Extract<ParseOutcome, { ok: false }> => {
  if (!(e instanceof Refusal)) {
    // A RangeError (stack) or anything the yaml package throws: still a refused document, not a bug.
    return { ok: false, limit: 'syntax', message: `is not valid ${fmt.toUpperCase()}: ${(e as Error).message}` };
  }
  return {
    ok: false,
    limit: e.limit,
    message: e.message,
    ...(e.offset === undefined ? {} : { line: lineAt(text, e.offset) }),
  };
};

/** maxBytes alone (a native scan for non-ASCII, then a count): before a text is handed to a worker. */
export function checkBytes(text: string, opts: ParseDocumentOptions = {}): Extract<ParseOutcome, { ok: false }> | null {
  const max = opts.maxBytes ?? DOCUMENT_LIMITS.maxBytes;
  return utf8Bytes(text, max) > max
    ? { ok: false, limit: 'maxBytes', message: `is larger than ${max} bytes (limit maxBytes)` }
    : null;
}

/** The pure core: never throws for a bad document, answers plain data (also the worker's answer). */
export function parseBounded(text: string, opts: ParseDocumentOptions = {}): ParseOutcome {
  const lim = resolveLimits(opts);
  const fmt = formatOf(text, opts.format);
  try {
    const bytes = utf8Bytes(text, lim.maxBytes);
    if (bytes > lim.maxBytes) throw new Refusal('maxBytes', `is larger than ${lim.maxBytes} bytes (limit maxBytes)`);
    return { ok: true, value: fmt === 'json' ? parseJson(text, lim) : parseYaml(text, lim, opts.merge ?? false) };
  } catch (e) {
    return refused(text, e, fmt);
  }
}

/** A refusal as the DocumentError callers throw: "the lab file has more than … (limit maxNodes), line 3". */
export function documentError(
  outcome: Extract<ParseOutcome, { ok: false }>,
  opts: Pick<ParseDocumentOptions, 'label' | 'code'> = {},
): DocumentError {
  const label = opts.label ?? 'the document';
  const where = outcome.line === undefined ? '' : ` (line ${outcome.line})`;
  const code: ErrorCode =
    outcome.limit === 'maxBytes' || outcome.limit === 'deadline' ? 'PayloadTooLarge' : (opts.code ?? 'InvalidLab');
  return new DocumentError(code, outcome.limit, `${label} ${outcome.message}${where}`, outcome.line);
}

/** Text → plain data within the limits, on this thread; throws DocumentError. */
export function parseDocumentText(text: string, opts: ParseDocumentOptions = {}): unknown {
  const r = parseBounded(text, opts);
  if (r.ok) return r.value;
  throw documentError(r, opts);
}
