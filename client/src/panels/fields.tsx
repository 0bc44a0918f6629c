/**
 * Form fields for the inspector: a local draft while typing (live check with the field's schema),
 * committed to the store on Enter/blur so one edit = one undo entry.
 */
import { type ReactNode, useEffect, useId, useState } from 'react';
import type { z } from 'zod';
import { Cidr } from '../../../shared/lab';

export function fieldError(schema: z.ZodType, value: unknown): string | null {
  const r = schema.safeParse(value);
  return r.success ? null : (r.error.issues[0]?.message ?? 'invalid');
}

interface TextFieldProps {
  label: string;
  value: string;
  testid: string;
  onCommit(v: string): void;
  /** Live check of the draft; the store is only updated on commit. */
  check?: (v: string) => string | null;
  /** Errors from the lab-wide validate() for this field. */
  errors?: string[];
  placeholder?: string;
  hint?: ReactNode;
  multiline?: boolean;
  rows?: number;
  mono?: boolean;
  disabled?: boolean;
}

export function TextField(p: TextFieldProps) {
  const id = useId();
  const [draft, setDraft] = useState(p.value);
  useEffect(() => setDraft(p.value), [p.value]);
  const local = draft !== p.value ? (p.check?.(draft) ?? null) : null;
  const errs = local ? [local] : (p.errors ?? []);
  const commit = () => {
    if (draft !== p.value) p.onCommit(draft);
  };
  const common = {
    id,
    value: draft,
    placeholder: p.placeholder,
    disabled: p.disabled,
    'data-testid': p.testid,
    'aria-invalid': errs.length > 0,
    className: `nl-input${p.mono ? ' mono' : ''}${errs.length ? ' invalid' : ''}`,
    onBlur: commit,
  };
  return (
    <div className="nl-field">
      <label htmlFor={id}>{p.label}</label>
      {p.multiline ? (
        <textarea
          {...common}
          rows={p.rows ?? 3}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) commit();
            if (e.key === 'Escape') setDraft(p.value);
          }}
        />
      ) : (
        <input
          {...common}
          spellCheck={false}
          autoComplete="off"
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') commit();
            if (e.key === 'Escape') setDraft(p.value);
          }}
        />
      )}
      {errs.map((e) => (
        <div key={e} className="nl-field-error" data-testid={`${p.testid}.error`} role="alert">
          {e}
        </div>
      ))}
      {p.hint && !errs.length && <div className="nl-field-hint">{p.hint}</div>}
    </div>
  );
}

export function Toggle(p: {
  label: string;
  checked: boolean;
  testid: string;
  onChange(v: boolean): void;
  hint?: ReactNode;
}) {
  return (
    <div className="nl-field">
      <label className="nl-toggle">
        <input
          type="checkbox"
          checked={p.checked}
          data-testid={p.testid}
          onChange={(e) => p.onChange(e.target.checked)}
        />
        <span className="nl-toggle-track" aria-hidden />
        <span>{p.label}</span>
      </label>
      {p.hint && <div className="nl-field-hint">{p.hint}</div>}
    </div>
  );
}

/** "10.0.0.1/24, fd00::1/64" ⇄ string[] */
export const splitList = (s: string): string[] =>
  s
    .split(/[\s,]+/)
    .map((x) => x.trim())
    .filter(Boolean);

/** The live check of an address-list field: the first entry that is not a CIDR, with the schema's reason. */
export function listCheck(v: string): string | null {
  for (const a of splitList(v)) {
    const e = fieldError(Cidr, a);
    if (e) return `${a}: ${e}`;
  }
  return null;
}
