/**
 * PNG export of the whole diagram (React Flow "download image" pattern: getNodesBounds +
 * getViewportForBounds, render the viewport element with html-to-image, loaded on demand), and downloads.
 * The editor's SVG is vector (exportSvg.ts); html-to-image's SVG (HTML in a foreignObject) is the host view's.
 */
import { getNodesBounds, getViewportForBounds, type Node } from '@xyflow/react';

export async function renderDiagram(
  nodes: Node[],
  format: 'png' | 'svg',
  background: string,
  /** Where to find the React Flow viewport (the host view has its own). */
  root: ParentNode = document,
): Promise<string> {
  const { toPng, toSvg } = await import('html-to-image');
  const bounds = getNodesBounds(nodes);
  const pad = 48;
  const width = Math.max(320, Math.min(4096, Math.ceil(bounds.width + pad * 2)));
  const height = Math.max(240, Math.min(4096, Math.ceil(bounds.height + pad * 2)));
  const vp = getViewportForBounds(bounds, width, height, 0.1, 2, 0.06);
  const el = root.querySelector<HTMLElement>('.react-flow__viewport');
  if (!el) throw new Error('canvas not mounted');
  const opts = {
    backgroundColor: background,
    width,
    height,
    pixelRatio: 2,
    style: {
      width: `${width}px`,
      height: `${height}px`,
      transform: `translate(${vp.x}px, ${vp.y}px) scale(${vp.zoom})`,
    },
  };
  return format === 'png' ? toPng(el, opts) : toSvg(el, opts);
}

/** Renders the diagram on the theme's canvas background and downloads it as `filename` (throws on failure). */
export async function saveDiagram(
  nodes: Node[],
  format: 'png' | 'svg',
  filename: string,
  root: ParentNode = document,
): Promise<void> {
  const bg = getComputedStyle(document.documentElement).getPropertyValue('--canvas-bg').trim() || '#ffffff';
  download(await renderDiagram(nodes, format, bg, root), filename);
}

export function download(dataUrl: string, filename: string): void {
  const a = document.createElement('a');
  a.href = dataUrl;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
}

export function downloadText(text: string, filename: string, mime: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: mime }));
  download(url, filename);
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
