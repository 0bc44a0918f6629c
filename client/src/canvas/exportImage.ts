/**
 * PNG export of the whole diagram (React Flow "download image" pattern: getNodesBounds +
 * getViewportForBounds, render the viewport element with html-to-image, loaded on demand), and downloads
 * (the lab as JSON/YAML). SVG is vector (exportSvg.ts: drawn from the canvas's view, never html-to-image's
 * HTML in a foreignObject).
 */
import { type Edge, getNodesBounds, getViewportForBounds, type Node, type ReactFlowInstance } from '@xyflow/react';
import type { Lab } from '../../../shared/lab';
import type { EdgeView, NodeView } from './toFlow';

export async function renderDiagram(
  nodes: Node[],
  format: 'png',
  background: string,
  /** Where to find the React Flow viewport (the host view has its own). */
  root: ParentNode = document,
): Promise<string> {
  const { toPng } = await import('html-to-image');
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
  if (format !== 'png') throw new Error('an SVG is drawn by saveVectorSvg');
  return toPng(el, opts);
}

/** Renders the diagram on the theme's canvas background and downloads it as `filename` (throws on failure). */
export async function saveDiagram(
  nodes: Node[],
  format: 'png',
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

/** Downloads `lab` as `${basename}.json` or `${basename}.yaml` (the yaml library loads on demand). */
export async function downloadLab(lab: Lab, basename: string, format: 'json' | 'yaml'): Promise<void> {
  if (format === 'json') downloadText(`${JSON.stringify(lab, null, 2)}\n`, `${basename}.json`, 'application/json');
  else downloadText((await import('yaml')).stringify(lab), `${basename}.yaml`, 'application/yaml');
}

/**
 * Downloads the diagram of a React Flow canvas (the editor's, or the host view's: both draw NodeViews and
 * veth EdgeViews) as vector SVG, in the theme's colours.
 */
export async function saveVectorSvg(
  rf: Pick<ReactFlowInstance, 'getNodes' | 'getEdges' | 'getInternalNode'>,
  filename: string,
  title?: string,
): Promise<void> {
  const { diagramSvg, svgPalette } = await import('./exportSvg');
  const nodes = (rf.getNodes() as Node<NodeView>[]).flatMap((n) => {
    const i = rf.getInternalNode(n.id);
    if (!i || !n.data?.ifaces) return [];
    const box = { ...i.internals.positionAbsolute, width: i.measured.width ?? 0, height: i.measured.height ?? 0 };
    return [{ id: n.id, box, view: n.data, ...(n.parentId ? { parentId: n.parentId } : {}) }];
  });
  const edges = (rf.getEdges() as Edge<EdgeView>[])
    .filter((e) => e.type === 'veth' && e.data)
    .map((e) => ({ id: e.id, source: e.source, target: e.target, view: e.data! }));
  downloadText(
    diagramSvg({ nodes, edges, palette: svgPalette(), ...(title ? { title } : {}) }),
    filename,
    'image/svg+xml',
  );
}
