/**
 * Problems of the design (validate), of the plan (names held by others, features the kernel lacks) and of the
 * host (live conflicts), errors and warnings: click one to select and centre the object.
 */
import { formatPath } from '../../../shared/errors';
import { useEditor, useEditorStore } from '../store/context';
import { objectLabel, selectLab, selectProblems } from '../store/selectors';

export default function ProblemsList() {
  const store = useEditorStore();
  const { issues } = useEditor(selectProblems);
  const lab = useEditor(selectLab);
  if (!issues.length)
    return (
      <div className="nl-empty" data-testid="problems.empty">
        <span className="nl-ok-mark">✓</span> No problems: the lab is valid.
      </div>
    );
  return (
    <ul className="nl-problems" data-testid="problems.list">
      {issues.map((i) => (
        <li key={`${i.object ?? ''}|${formatPath(i.path)}|${i.message}`}>
          <button
            type="button"
            className={`nl-problem sev-${i.severity}`}
            data-testid="problems.item"
            data-object={i.object ?? ''}
            onClick={() => {
              if (!i.object) return;
              store.getState().selectObject(i.object);
              store.getState().requestFocus(i.object);
            }}
          >
            <span className="nl-problem-sev">{i.severity === 'error' ? '✕' : '!'}</span>
            <span className="nl-problem-text">
              <span className="nl-problem-msg">{i.message}</span>
              <span className="nl-problem-path">
                {i.object ? `${objectLabel(lab, i.object)} · ` : ''}
                {formatPath(i.path)}
              </span>
            </span>
          </button>
        </li>
      ))}
    </ul>
  );
}
