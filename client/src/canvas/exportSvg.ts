/**
 * Vector SVG of the diagram, built from the canvas's own view (toFlow's nodes and veth edges), where React
 * Flow drew each node and where the canvas puts the labels (edgeGeometry): rectangles, lines and text only — a standalone XML document an editor such as Inkscape
 * opens (no HTML, no foreignObject). Pure: colours and geometry come in; `svgPalette()` reads the theme.
 */
import { edgeGeometry } from './edgeGeometry';
import { type EdgeView, type EndView, type NodeView, STATE_LABEL } from './toFlow';

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface SvgInput {
  nodes: { id: string; box: Box; view: NodeView; parentId?: string }[];
  edges: { id: string; source: string; target: string; view: EdgeView }[];
  palette: Palette;
  title?: string;
}

/** Plain colours (#rrggbb or rgb()/rgba()), one per role. */
export interface Palette {
  background: string;
  node: string;
  border: string;
  text: string;
  muted: string;
  edge: string;
  label: string;
  states: Record<string, string>;
}

/** The light theme's colours (also what a palette falls back to). */
export const LIGHT: Palette = {
  background: '#fbfcfe',
  node: '#ffffff',
  border: '#cfd5e3',
  text: '#182033',
  muted: '#55607a',
  edge: '#7d879c',
  label: '#ffffff',
  states: {
    absent: '#9aa3b5',
    pending: '#f59e0b',
    ready: '#16a34a',
    drifted: '#ea580c',
    failed: '#dc2626',
    conflict: '#9333ea',
  },
};

const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';
const MONO = 'DejaVu Sans Mono, Menlo, Consolas, monospace';
const PAD = 40;
const ROW = 18;

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
const n = (v: number) => (Math.round(v * 10) / 10).toString();

function text(x: number, y: number, s: string, attrs: string): string {
  return `<text x="${n(x)}" y="${n(y)}" ${attrs}>${esc(s)}</text>`;
}

function nodeSvg(id: string, b: Box, v: NodeView, p: Palette): string {
  const stroke = p.states[v.state] ?? p.border;
  const out = [
    `<g id="${esc(`node-${id}`)}">`,
    `<rect x="${n(b.x)}" y="${n(b.y)}" width="${n(b.width)}" height="${n(b.height)}" rx="10" fill="${p.node}" stroke="${v.state === 'absent' ? p.border : stroke}" stroke-width="1.5"${v.kind === 'host' ? ' stroke-dasharray="6 4"' : ''}/>`,
    `<rect x="${n(b.x)}" y="${n(b.y + 6)}" width="5" height="${n(Math.max(0, Math.min(b.height, 64) - 12))}" rx="2" fill="${stroke}"/>`,
    text(b.x + 16, b.y + 24, v.label, `font-family="${FONT}" font-size="14" font-weight="700" fill="${p.text}"`),
  ];
  if (v.detail)
    out.push(
      text(b.x + 16, b.y + 39, v.detail.toUpperCase(), `font-family="${FONT}" font-size="9.5" fill="${p.muted}"`),
    );
  out.push(
    text(
      b.x + b.width - 10,
      b.y + 22,
      STATE_LABEL[v.state] ?? v.state,
      `font-family="${FONT}" font-size="9.5" text-anchor="end" fill="${v.state === 'absent' ? p.muted : stroke}"`,
    ),
  );
  let y = b.y + 62;
  if (v.kind === 'bridge') {
    const ports = v.ifaces.filter((i) => i.key !== id).map((i) => i.ifname);
    const own = v.ifaces.find((i) => i.key === id);
    if (own?.addresses.length)
      out.push(text(b.x + 16, y, own.addresses.join(' '), `font-family="${MONO}" font-size="11" fill="${p.text}"`));
    if (own?.addresses.length) y += ROW;
    if (ports.length)
      out.push(text(b.x + 16, y, ports.join('  '), `font-family="${MONO}" font-size="10.5" fill="${p.muted}"`));
  } else
    for (const i of v.ifaces.slice(0, 6)) {
      out.push(
        `<text x="${n(b.x + 16)}" y="${n(y)}" font-family="${MONO}" font-size="11" fill="${p.text}"><tspan font-weight="700">${esc(i.ifname)}</tspan><tspan dx="8" fill="${p.muted}">${esc(i.addresses.join(' ') || 'no address')}</tspan></text>`,
      );
      y += ROW;
    }
  for (const a of v.attached ?? []) {
    out.push(
      text(
        b.x + 16,
        y,
        `${a.kind.toUpperCase()} ${a.name}${a.detail ? ` · ${a.detail}` : ''}${a.bridge ? ` → ${a.bridge}` : ''}`,
        `font-family="${MONO}" font-size="10.5" fill="${p.muted}"`,
      ),
    );
    y += ROW;
  }
  out.push('</g>');
  return out.join('');
}

function endLabel(e: EndView, at: { x: number; y: number }, compact: boolean, p: Palette): string {
  const lines = [e.ifname, ...(compact || !e.addresses.length ? [] : [e.addresses.join(' ')])];
  const w = Math.max(...lines.map((l) => l.length)) * 6.6 + 14;
  const h = lines.length * 13 + 6;
  return [
    `<rect x="${n(at.x - w / 2)}" y="${n(at.y - h / 2)}" width="${n(w)}" height="${n(h)}" rx="6" fill="${p.label}" stroke="${p.border}"/>`,
    ...lines.map((l, k) =>
      text(
        at.x,
        at.y - h / 2 + 13 + k * 13,
        l,
        `font-family="${MONO}" font-size="${k === 0 ? 10.5 : 10}" text-anchor="middle" fill="${k === 0 ? p.text : p.muted}"${k === 0 ? ' font-weight="700"' : ''}`,
      ),
    ),
  ].join('');
}

function edgeSvg(id: string, a: Box, b: Box, v: EdgeView, p: Palette): string {
  const g = edgeGeometry(a, b, v.ends);
  const colour = v.down ? p.states.absent! : v.state === 'absent' ? p.edge : (p.states[v.state] ?? p.edge);
  return [
    `<g id="${esc(`link-${id}`)}">`,
    `<line x1="${n(g.p.x)}" y1="${n(g.p.y)}" x2="${n(g.q.x)}" y2="${n(g.q.y)}" stroke="${colour}" stroke-width="2"${v.down ? ' stroke-dasharray="6 5"' : ''}/>`,
    endLabel(v.ends[0], g.labels[0], g.compact, p),
    endLabel(v.ends[1], g.labels[1], g.compact, p),
    v.down
      ? text(
          g.mid.x,
          g.mid.y - 6,
          'down',
          `font-family="${FONT}" font-size="10" text-anchor="middle" fill="${p.muted}"`,
        )
      : '',
    '</g>',
  ].join('');
}

/** The diagram as a standalone SVG document (XML declaration, SVG namespace, a viewBox around everything). */
export function diagramSvg(input: SvgInput): string {
  const { nodes, edges, palette: p } = input;
  const boxes = new Map(nodes.map((x) => [x.id, x.box] as const));
  const xs = nodes.flatMap((x) => [x.box.x, x.box.x + x.box.width]);
  const ys = nodes.flatMap((x) => [x.box.y, x.box.y + x.box.height]);
  const minX = (xs.length ? Math.min(...xs) : 0) - PAD;
  const minY = (ys.length ? Math.min(...ys) : 0) - PAD;
  const w = (xs.length ? Math.max(...xs) : 320) - minX + PAD;
  const h = (ys.length ? Math.max(...ys) : 240) - minY + PAD;
  // Parents first, their children (a bridge drawn inside its namespace) over them, links over both.
  const ordered = [...nodes.filter((x) => !x.parentId), ...nodes.filter((x) => x.parentId)];
  const body = [
    ...ordered.map((x) => nodeSvg(x.id, x.box, x.view, p)),
    ...edges.flatMap((e) => {
      const a = boxes.get(e.source);
      const b = boxes.get(e.target);
      return a && b ? [edgeSvg(e.id, a, b, e.view, p)] : [];
    }),
  ];
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="${n(w)}" height="${n(h)}" viewBox="${n(minX)} ${n(minY)} ${n(w)} ${n(h)}">`,
    input.title ? `<title>${esc(input.title)}</title>` : '',
    `<rect x="${n(minX)}" y="${n(minY)}" width="${n(w)}" height="${n(h)}" fill="${p.background}"/>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

/** The current theme's colours as plain values (CSS variables resolved through a canvas: no color-mix()). */
export function svgPalette(root: Element = document.documentElement): Palette {
  const css = getComputedStyle(root);
  const ctx = document.createElement('canvas').getContext('2d');
  const plain = (name: string, fallback: string) => {
    const v = css.getPropertyValue(name).trim();
    if (!v || !ctx) return fallback;
    ctx.fillStyle = fallback;
    ctx.fillStyle = v; // ignored when not a colour; reads back as #rrggbb or rgba()
    return ctx.fillStyle;
  };
  return {
    background: plain('--canvas-bg', LIGHT.background),
    node: plain('--node-bg', LIGHT.node),
    border: plain('--border-strong', LIGHT.border),
    text: plain('--text', LIGHT.text),
    muted: plain('--text-2', LIGHT.muted),
    edge: plain('--edge', LIGHT.edge),
    label: plain('--label-bg', LIGHT.label),
    states: Object.fromEntries(
      Object.entries(LIGHT.states).map(([k, v]) => [k, plain(`--st-${k}`, v)]),
    ) as Palette['states'],
  };
}
