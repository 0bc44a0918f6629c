/**
 * The one Export ▾ menu (editor toolbar and host view): the diagram as PNG/SVG, the lab as JSON/YAML, plus
 * any items the caller adds. Test ids `<testid>.export` and `<testid>.export-<png|svg|json|yaml>`.
 * Does the downloads through canvas/exportImage.ts (loaded on demand); owns no lab state.
 */
import type { ReactFlowInstance } from '@xyflow/react';
import { type ReactNode, useState } from 'react';
import type { Lab } from '../../../shared/lab';

export interface ExportMenuProps {
  /** Test id prefix: `toolbar` gives `toolbar.export`, `toolbar.export-png`, … */
  testid: string;
  /** Trigger button content and class. */
  label: ReactNode;
  className: string;
  popClassName?: string;
  disabled?: boolean;
  /** Downloads are named `${basename}.png` etc. */
  basename: () => string;
  /** The lab exported as a file (undefined: nothing to export). */
  lab: () => Lab | undefined;
  /** The React Flow canvas drawn (PNG: its nodes; SVG: its nodes, edges and their measured boxes). */
  rf: () => Pick<ReactFlowInstance, 'getNodes' | 'getEdges' | 'getInternalNode'>;
  /** Where its viewport lives (the host view has its own). */
  root?: () => ParentNode | null;
  /** Title written into the SVG (default: the basename). */
  title?: () => string;
  /**
   * Wraps taking the PNG (e.g. the editor drops the selection meanwhile, so the picture shows the lab, not
   * what is selected on screen).
   */
  whilePng?: (take: () => Promise<void>) => Promise<void>;
  onError: (message: string) => void;
  /** Extra items after the standard four; `close` closes the menu. */
  extra?: (close: () => void) => ReactNode;
}

export function ExportMenu(p: ExportMenuProps) {
  const [open, setOpen] = useState(false);
  const close = () => setOpen(false);
  const run = (what: () => Promise<void>) => {
    close();
    what().catch((e: unknown) => p.onError(`Export failed: ${(e as Error).message}`));
  };
  const image = (format: 'png' | 'svg') =>
    run(async () => {
      const { saveDiagram, saveVectorSvg } = await import('../canvas/exportImage');
      // Vector: drawn from the canvas's view and React Flow's geometry (rects, lines, text; no HTML inside).
      if (format === 'svg') return saveVectorSvg(p.rf(), `${p.basename()}.svg`, p.title?.() ?? p.basename());
      const take = () => saveDiagram(p.rf().getNodes(), 'png', `${p.basename()}.png`, p.root?.() ?? document);
      await (p.whilePng ? p.whilePng(take) : take());
    });
  const labFile = (format: 'json' | 'yaml') =>
    run(async () => {
      const lab = p.lab();
      if (!lab) return;
      const { downloadLab } = await import('../canvas/exportImage');
      await downloadLab(lab, p.basename(), format);
    });
  const item = (id: string, text: string, onClick: () => void) => (
    <button type="button" role="menuitem" data-testid={`${p.testid}.export-${id}`} onClick={onClick}>
      {text}
    </button>
  );
  return (
    <div className="nl-menu">
      <button
        type="button"
        className={p.className}
        data-testid={`${p.testid}.export`}
        aria-expanded={open}
        disabled={p.disabled}
        onClick={() => setOpen((o) => !o)}
      >
        {p.label}
      </button>
      {open && (
        <div className={`nl-menu-pop${p.popClassName ? ` ${p.popClassName}` : ''}`} role="menu" onMouseLeave={close}>
          {item('png', 'Image (PNG)', () => image('png'))}
          {item('svg', 'Image (SVG)', () => image('svg'))}
          {item('json', 'Lab file (JSON)', () => labFile('json'))}
          {item('yaml', 'Lab file (YAML)', () => labFile('yaml'))}
          {p.extra?.(close)}
        </div>
      )}
    </div>
  );
}
