/**
 * The one error the importers throw: the whole file is refused, naming the construct (a Go template, a
 * duplicate key, not a topology at all) and where it is. Pure; the HTTP/CLI layers map it to their codes.
 */
export type RefusalKind = 'syntax' | 'unsupported' | 'too-large';

export class ImportRefused extends Error {
  readonly kind: RefusalKind;
  /** The construct refused, e.g. `go-template`, `duplicate-key`, `yaml`, `xml`. */
  readonly construct: string;
  /** 1-based line in the source text, when known. */
  readonly line: number | undefined;
  constructor(kind: RefusalKind, construct: string, message: string, line?: number) {
    super(line === undefined ? message : `line ${line}: ${message}`);
    this.name = 'ImportRefused';
    this.kind = kind;
    this.construct = construct;
    this.line = line;
  }
}

/** Topology files are small; a bigger one is a mistake (or an attack on the parser). */
export const MAX_SOURCE_BYTES = 2_000_000;

export function checkSize(text: string): void {
  if (text.length > MAX_SOURCE_BYTES)
    throw new ImportRefused(
      'too-large',
      'size',
      `the file has ${text.length} characters; topology files are limited to ${MAX_SOURCE_BYTES}`,
    );
}
