/**
 * The teacher viewing a student's canvas (`/?view=student&student=ID`): every `/api/…` call and the `/ws`
 * socket of this page go to that student's world (`/classroom/view/ID/…`), which the server answers
 * read-only (GET and the status socket only). The page is the ordinary editor with `readOnlyView()` set:
 * no palette, no edits, no apply, a banner naming the student. Installed once, before the app renders.
 */
import { VIEW_PREFIX } from '../../../shared/classroom';

export interface ReadOnlyView {
  student: string;
  /** The student's name, for the banner (the dashboard's link carries it). */
  label: string;
}

let current: ReadOnlyView | null = null;

/** Where a same-origin `/api` or `/ws` path goes when viewing `student` (others are left alone). */
export function rewritePath(path: string, student: string): string {
  if (path.startsWith('/api/classroom')) return path;
  if (
    path === '/api' ||
    path.startsWith('/api/') ||
    path === '/ws' ||
    path.startsWith('/ws/') ||
    path.startsWith('/ws?')
  )
    return `${VIEW_PREFIX}/${encodeURIComponent(student)}${path}`;
  return path;
}

/** The view this page is in, from its URL (null: the ordinary editor). */
export function viewFromSearch(search: string): ReadOnlyView | null {
  const q = new URLSearchParams(search);
  const student = q.get('student');
  return q.get('view') === 'student' && student ? { student, label: q.get('name') || student } : null;
}

export const readOnlyView = (): ReadOnlyView | null => current;

/** Sets the view and routes this page's fetches and sockets to the student's world. */
export function installView(view: ReadOnlyView): void {
  current = view;
  const origFetch = window.fetch.bind(window);
  window.fetch = (input: RequestInfo | URL, init?: RequestInit) =>
    origFetch(typeof input === 'string' && input.startsWith('/') ? rewritePath(input, view.student) : input, init);
  const Orig = window.WebSocket;
  class ViewSocket extends Orig {
    constructor(url: string | URL, protocols?: string | string[]) {
      const u = new URL(String(url), window.location.href);
      if (u.host === window.location.host) u.pathname = rewritePath(u.pathname, view.student);
      super(u.toString(), protocols);
    }
  }
  window.WebSocket = ViewSocket as typeof WebSocket;
}
