/** Small inline SVG icons (no icon font: crisp on projectors, captured by PNG/SVG export). */
import type { NodeKind } from '../../../shared/lab';

export function KindIcon({ kind, size = 18 }: { kind: NodeKind; size?: number }) {
  const common = {
    width: size,
    height: size,
    viewBox: '0 0 24 24',
    fill: 'none',
    stroke: 'currentColor',
    strokeWidth: 1.8,
    strokeLinecap: 'round' as const,
    strokeLinejoin: 'round' as const,
    'aria-hidden': true,
  };
  if (kind === 'namespace')
    return (
      <svg {...common}>
        <rect x="3" y="4" width="18" height="16" rx="3" />
        <path d="M3 9h18" />
        <circle cx="6.5" cy="6.5" r=".6" fill="currentColor" />
        <circle cx="9" cy="6.5" r=".6" fill="currentColor" />
        <path d="M8 14h3m2 0h3" />
      </svg>
    );
  if (kind === 'bridge')
    return (
      <svg {...common}>
        <rect x="2.5" y="8" width="19" height="8" rx="2" />
        <path d="M6 12h.01M10 12h.01M14 12h.01M18 12h.01" strokeWidth="2.6" />
        <path d="M6 8V5M12 8V5M18 8V5" />
      </svg>
    );
  return (
    <svg {...common}>
      <rect x="3" y="4" width="18" height="12" rx="2" />
      <path d="M8 20h8M12 16v4" />
    </svg>
  );
}

/** A toolbar icon drawn from one SVG path (24-unit box, 2-unit stroke). */
export function PathIcon({ d, size = 16 }: { d: string; size?: number }) {
  return (
    <svg
      width={size}
      height={size}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth="2"
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden
    >
      <path d={d} />
    </svg>
  );
}
