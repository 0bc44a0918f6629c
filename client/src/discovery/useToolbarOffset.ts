/** Bottom edge of the app toolbar (the host view and the diff panel sit right below it). */
import { useEffect, useState } from 'react';

export function useToolbarOffset(): number {
  const [top, setTop] = useState(57);
  useEffect(() => {
    const bar = document.querySelector<HTMLElement>('[data-testid="toolbar"]');
    if (!bar) return;
    const measure = () => setTop(bar.getBoundingClientRect().bottom);
    measure();
    const ro = typeof ResizeObserver === 'undefined' ? null : new ResizeObserver(measure);
    ro?.observe(bar);
    return () => ro?.disconnect();
  }, []);
  return top;
}

/** Width of the editor's side panel (the diff panel docks to its left, so the inspector stays usable). */
export function useSidePanelWidth(): number {
  const [width, setWidth] = useState(360);
  useEffect(() => {
    const side = document.querySelector<HTMLElement>('.nl-side');
    if (!side) return;
    const measure = () => setWidth(side.getBoundingClientRect().width);
    measure();
    const ro = typeof ResizeObserver === 'undefined' ? null : new ResizeObserver(measure);
    ro?.observe(side);
    return () => ro?.disconnect();
  }, []);
  return width;
}
