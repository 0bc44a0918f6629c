/**
 * The teacher's dashboard (`/?view=classroom`): every student's progress per goal, live from the `/ws`
 * hub's `classroom` topic (one socket; the server pushes on change, nothing polls), their personal links,
 * a read-only view of any student's canvas, push an exercise to everyone, export the results as CSV.
 */

import { useEffect, useMemo, useState } from 'react';
import { ServerMessage } from '../../../shared/api';
import { CLASSROOM_TOPIC, type ClassroomDashboard, type ClassroomStudent } from '../../../shared/classroom';
import type { ExerciseSummary } from '../../../shared/exercise';
import { WS_PROTOCOL } from '../../../shared/session';
import { ApiError } from '../api/client';
import { backoffDelay } from '../api/statusSocket';
import { downloadText } from '../canvas/exportImage';
import { createExerciseApi } from '../exercise/api';
import { createClassroomApi } from './api';
import './classroom.css';

/** The live dashboard over /ws (reconnecting with backoff); null until the first one arrives. */
function useLiveDashboard(onError: (m: string) => void): ClassroomDashboard | null {
  const [d, setD] = useState<ClassroomDashboard | null>(null);
  useEffect(() => {
    let ws: WebSocket | null = null;
    let closed = false;
    let attempt = 0;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const open = () => {
      const { protocol, host } = window.location;
      ws = new WebSocket(`${protocol === 'https:' ? 'wss' : 'ws'}://${host}/ws`, [WS_PROTOCOL]);
      ws.onopen = () => {
        attempt = 0;
        ws?.send(JSON.stringify({ type: 'watch', topic: CLASSROOM_TOPIC }));
      };
      ws.onmessage = (ev) => {
        let json: unknown;
        try {
          json = JSON.parse(String(ev.data));
        } catch {
          return;
        }
        const m = ServerMessage.safeParse(json);
        if (!m.success) return;
        if (m.data.type === 'classroom') setD(m.data.dashboard);
        else if (m.data.type === 'error') onError(m.data.message);
      };
      ws.onclose = () => {
        if (closed) return;
        timer = setTimeout(open, backoffDelay(attempt++));
      };
    };
    open();
    return () => {
      closed = true;
      if (timer) clearTimeout(timer);
      ws?.close();
    };
  }, [onError]);
  return d;
}

function GoalCell({ s, goal }: { s: ClassroomStudent; goal: string }) {
  const g = s.report?.goals.find((x) => x.id === goal);
  const state = g ? (g.met === true ? 'met' : g.met === false ? 'unmet' : 'pending') : 'none';
  return (
    <td
      className={`nl-cls-goal ${state}`}
      data-testid={`classroom.goal.${s.id}.${goal}`}
      data-met={state}
      title={g ? `${g.title}: ${g.reason}` : 'not started'}
    >
      {state === 'met' ? '✓' : state === 'unmet' ? '✗' : state === 'pending' ? '…' : '·'}
    </td>
  );
}

export function Dashboard() {
  const [error, setError] = useState<string | null>(null);
  const [exercises, setExercises] = useState<ExerciseSummary[]>([]);
  const [chosen, setChosen] = useState('');
  const [busy, setBusy] = useState(false);
  const api = useMemo(() => createClassroomApi(), []);
  const onError = useMemo(() => (m: string) => setError(m), []);
  const live = useLiveDashboard(onError);
  const [first, setFirst] = useState<ClassroomDashboard | null>(null);
  const d = live ?? first;

  useEffect(() => {
    api
      .get()
      .then(setFirst, (e: unknown) =>
        setError(
          e instanceof ApiError && e.status === 404
            ? 'This page is the teacher’s classroom dashboard: open it with the teacher’s link.'
            : String((e as Error).message),
        ),
      );
    createExerciseApi()
      .list()
      .then(setExercises, () => {});
  }, [api]);

  const goals = d?.students.find((s) => s.report)?.report?.goals ?? [];
  const push = async () => {
    if (!chosen) return;
    setBusy(true);
    setError(null);
    try {
      setFirst(await api.push(chosen));
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const exportCsv = async () => {
    try {
      downloadText(await api.resultsCsv(), 'netloom-results.csv', 'text/csv');
    } catch (e) {
      setError((e as Error).message);
    }
  };

  return (
    <div className="nl-cls" data-testid="classroom">
      <header className="nl-cls-head">
        <h1>Classroom</h1>
        <span data-testid="classroom.exercise">{d?.exercise ? d.exercise.title : 'No exercise pushed yet'}</span>
        <span className="nl-cls-spacer" />
        <label>
          Exercise{' '}
          <select data-testid="classroom.choose" value={chosen} onChange={(e) => setChosen(e.target.value)}>
            <option value="">choose…</option>
            {exercises.map((x) => (
              <option key={x.file} value={x.file}>
                {x.title}
              </option>
            ))}
          </select>
        </label>
        <button type="button" data-testid="classroom.push" disabled={!chosen || busy} onClick={() => void push()}>
          Push to all students
        </button>
        <button type="button" className="nl-cls-button" data-testid="classroom.csv" onClick={() => void exportCsv()}>
          Export CSV
        </button>
      </header>
      {error && (
        <div className="nl-cls-error" role="alert" data-testid="classroom.error">
          {error}
        </div>
      )}
      {d && (
        <table className="nl-cls-table">
          <thead>
            <tr>
              <th>Student</th>
              <th>Progress</th>
              {goals.map((g) => (
                <th key={g.id} title={g.title}>
                  {g.id}
                </th>
              ))}
              <th>Link</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {d.students.map((s) => (
              <tr key={s.id} data-testid={`classroom.row.${s.id}`} data-joined={s.joined}>
                <td>
                  {s.label}
                  {!s.joined && <span className="nl-cls-muted"> (not joined)</span>}
                  {s.error && (
                    <div className="nl-cls-error" data-testid={`classroom.error.${s.id}`}>
                      {s.error}
                    </div>
                  )}
                </td>
                <td data-testid={`classroom.progress.${s.id}`}>
                  {s.report ? `${s.report.earned}/${s.report.total}` : '—'}
                </td>
                {goals.map((g) => (
                  <GoalCell key={g.id} s={s} goal={g.id} />
                ))}
                <td>
                  <button
                    type="button"
                    data-testid={`classroom.copy.${s.id}`}
                    title={s.link}
                    onClick={() => void navigator.clipboard?.writeText(s.link)}
                  >
                    Copy link
                  </button>
                </td>
                <td>
                  {s.joined && s.lab ? (
                    <a
                      data-testid={`classroom.view.${s.id}`}
                      href={`/?view=student&student=${encodeURIComponent(s.id)}&name=${encodeURIComponent(s.label)}#${encodeURIComponent(s.lab)}`}
                      target="_blank"
                      rel="noreferrer"
                    >
                      Open canvas (read only)
                    </a>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {d && (
        <p className="nl-cls-muted">
          Quotas per student: {d.quotas.namespaces} namespaces, {d.quotas.terminals} terminals, {d.quotas.captures}{' '}
          captures, {d.quotas.processes} processes.
        </p>
      )}
    </div>
  );
}

export default Dashboard;
