/** Status colour legend (same CSS variables as nodes, edges and the minimap). */
const STATES = [
  ['absent', 'not applied'],
  ['pending', 'pending'],
  ['ready', 'ready'],
  ['drifted', 'drifted'],
  ['failed', 'failed'],
  ['conflict', 'conflict'],
] as const;

export function Legend() {
  return (
    <section className="nl-legend" aria-label="Status legend" data-testid="legend">
      <h2 className="nl-section-title">Status</h2>
      <ul>
        {STATES.map(([s, label]) => (
          <li key={s}>
            <span className={`nl-swatch state-${s}`} />
            {label}
          </li>
        ))}
      </ul>
    </section>
  );
}
