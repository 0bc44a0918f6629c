/**
 * Inspector sections for the network features (issue #6): an end's egress impairment (rate limit + netem,
 * the latter disabled when the server's kernel has no netem), a namespace's routes table and sysctls
 * (rp_filter, proxy ARP), and the host's NAT. Every commit is one store verb = one undo entry.
 */
import { useEffect, useId, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { Issue } from '../../../shared/errors';
import {
  type Endpoint,
  type HostNode,
  IfName,
  Impairment,
  IpAddress,
  type NamespaceNode,
  NETEM_FIELDS,
  type Route,
  Route as RouteSchema,
} from '../../../shared/lab';
import { impairmentLabel } from '../canvas/impairment';
import { ImpairmentText } from '../canvas/VethEdge';
import { natNeeds } from '../natRoutes';
import { useEditor, useEditorStore } from '../store/context';
import { fieldError, splitList, TextField, Toggle } from './fields';

type ImpField = keyof Impairment;
type NetemField = (typeof NETEM_FIELDS)[number];

export const NETEM_UNAVAILABLE = 'needs netem: not available on this kernel';

/** Messages of issues whose path contains `field`. */
const issuesFor = (issues: Issue[] | undefined, field: string): string[] =>
  (issues ?? []).filter((i) => i.path.includes(field)).map((i) => i.message);

/** Netem fields set on an impairment (what a kernel without netem refuses). */
export function netemFieldsOf(imp: Impairment | undefined): NetemField[] {
  return imp ? NETEM_FIELDS.filter((f) => imp[f] !== undefined) : [];
}

/** False only when the server said so (unknown = allowed: the plan is the authority). */
export const useNetem = () => useEditor((s) => s.capabilities?.netem !== false);

function numberCheck(field: ImpField, factor = 1) {
  return (v: string): string | null => {
    if (v.trim() === '') return null;
    const n = Number(v);
    if (!Number.isFinite(n)) return 'expected a number';
    return fieldError(Impairment.shape[field], factor === 1 ? n : Math.round(n * factor));
  };
}

const RATE_UNITS = { kbit: 1, Mbit: 1000 } as const;
type RateUnit = keyof typeof RATE_UNITS;

export function ImpairmentSection({
  linkId,
  end,
  e,
  issues,
}: {
  linkId: string;
  end: 0 | 1;
  e: Endpoint;
  issues: Issue[] | undefined;
}) {
  const store = useEditorStore();
  const netem = useNetem();
  const imp = e.impairment;
  const p = `inspector.end${end}`;
  const [open, setOpen] = useState(imp !== undefined);
  // Mbit/s unless the rate set is a kbit/s value: "1" typed into a fresh field means 1 Mbit/s, a useful
  // rate (1 kbit/s hardly lets a ping through).
  const [unit, setUnit] = useState<RateUnit>(() =>
    imp?.rateKbit === undefined || (imp.rateKbit >= 1000 && imp.rateKbit % 100 === 0) ? 'Mbit' : 'kbit',
  );
  /** Another unit keeps the number shown: 1 kbit/s becomes 1 Mbit/s (not 0.001 Mbit/s). */
  const changeUnit = (next: RateUnit) => {
    const rate = imp?.rateKbit;
    setUnit(next);
    if (rate !== undefined && next !== unit)
      set({ rateKbit: Math.max(1, Math.round((rate / RATE_UNITS[unit]) * RATE_UNITS[next])) });
  };
  const set = (patch: Partial<Impairment> | null) => store.getState().setImpairment(linkId, end, patch);
  const num =
    (field: ImpField, factor = 1) =>
    (t: string) =>
      set({ [field]: t.trim() === '' ? undefined : Math.round(Number(t) * factor * 1000) / 1000 });
  const label = impairmentLabel(imp);
  const usedNetem = netemFieldsOf(imp);
  // Issues about the impairment as a whole (e.g. "sets nothing").
  const whole = (issues ?? []).filter((i) => i.path[i.path.length - 1] === 'impairment').map((i) => i.message);
  const field = (f: ImpField, label: string, testid: string, placeholder: string, isNetem = false) => {
    const v = imp?.[f];
    const off = isNetem && !netem;
    // Without netem the field says so itself; the plan's Unsupported error about it would say it twice.
    const errs = issuesFor(off && v !== undefined ? issues?.filter((i) => i.code !== 'Unsupported') : issues, f);
    if (off && v !== undefined) errs.unshift(`${label.replace(/ \(.*/, '')} ${NETEM_UNAVAILABLE}`);
    return (
      <TextField
        label={label}
        value={v?.toString() ?? ''}
        testid={`${p}.${testid}`}
        mono
        placeholder={placeholder}
        disabled={off}
        check={numberCheck(f)}
        errors={errs}
        onCommit={num(f)}
      />
    );
  };
  return (
    <details
      className="nl-impairment"
      open={open}
      onToggle={(ev) => setOpen(ev.currentTarget.open)}
      data-testid={`${p}.impairment`}
    >
      <summary data-testid={`${p}.impairment-toggle`}>
        Impairment (egress)
        {label && (
          <span className="nl-chip">
            <ImpairmentText text={label} />
          </span>
        )}
      </summary>
      <div className="nl-field-hint">
        Shapes the traffic <b>leaving</b> {e.ifname}; set the other end too for both directions.
      </div>
      <div className="nl-unit">
        <TextField
          label="Rate limit"
          value={imp?.rateKbit === undefined ? '' : String(imp.rateKbit / RATE_UNITS[unit])}
          testid={`${p}.rate`}
          mono
          placeholder="none"
          check={numberCheck('rateKbit', RATE_UNITS[unit])}
          errors={issuesFor(issues, 'rateKbit')}
          onCommit={(t) => set({ rateKbit: t.trim() === '' ? undefined : Math.round(Number(t) * RATE_UNITS[unit]) })}
        />
        <select
          className="nl-input"
          aria-label="rate unit"
          data-testid={`${p}.rate-unit`}
          value={unit}
          onChange={(ev) => changeUnit(ev.target.value as RateUnit)}
        >
          <option value="kbit">kbit/s</option>
          <option value="Mbit">Mbit/s</option>
        </select>
      </div>
      <div className="nl-row">
        {field('burstKb', 'Burst (KB)', 'burst', '32')}
        {field('latencyMs', 'Queue latency (ms)', 'latency', '50')}
      </div>
      {!netem && (
        <div className="nl-netem-note" data-testid={`${p}.netem-note`}>
          Delay, jitter, loss, duplicate, corrupt: {NETEM_UNAVAILABLE} (a rate limit works).
        </div>
      )}
      <div className="nl-row">
        {field('delayMs', 'Delay (ms)', 'delay', '0', true)}
        {field('jitterMs', 'Jitter (ms)', 'jitter', '0', true)}
      </div>
      <div className="nl-row">
        {field('lossPct', 'Loss (%)', 'loss', '0', true)}
        {field('duplicatePct', 'Duplicate (%)', 'duplicate', '0', true)}
        {field('corruptPct', 'Corrupt (%)', 'corrupt', '0', true)}
      </div>
      {whole.map((m) => (
        <div key={m} className="nl-field-error" role="alert" data-testid={`${p}.impairment.error`}>
          {m}
        </div>
      ))}
      <div className="nl-row">
        {!netem && usedNetem.length > 0 && (
          <button
            type="button"
            className="nl-btn small"
            data-testid={`${p}.netem-clear`}
            onClick={() => set(Object.fromEntries(usedNetem.map((f) => [f, undefined])))}
          >
            Remove netem settings
          </button>
        )}
        {imp && (
          <button
            type="button"
            className="nl-btn small ghost"
            data-testid={`${p}.impairment-clear`}
            onClick={() => set(null)}
          >
            Remove impairment
          </button>
        )}
      </div>
    </details>
  );
}

// ---------- routes ----------

/** A table cell input: local draft, live check, committed on Enter/blur (one undo entry). */
function CellInput(p: {
  value: string;
  testid: string;
  placeholder?: string;
  list?: string;
  check?: (v: string) => string | null;
  invalid?: boolean;
  onCommit(v: string): void;
}) {
  const [draft, setDraft] = useState(p.value);
  useEffect(() => setDraft(p.value), [p.value]);
  const local = draft !== p.value ? (p.check?.(draft) ?? null) : null;
  const commit = () => {
    if (draft !== p.value && !local) p.onCommit(draft.trim());
  };
  return (
    <input
      className={`nl-input mono${local || p.invalid ? ' invalid' : ''}`}
      value={draft}
      placeholder={p.placeholder}
      list={p.list}
      title={local ?? undefined}
      aria-invalid={Boolean(local || p.invalid)}
      data-testid={p.testid}
      spellCheck={false}
      autoComplete="off"
      onChange={(e) => setDraft(e.target.value)}
      onBlur={commit}
      onKeyDown={(e) => {
        if (e.key === 'Enter') commit();
        if (e.key === 'Escape') setDraft(p.value);
      }}
    />
  );
}

const toCheck = (v: string) => fieldError(RouteSchema.shape.to, v.trim());
const viaCheck = (v: string) => (v.trim() ? fieldError(IpAddress, v.trim()) : null);
const devCheck = (v: string) => (v.trim() ? fieldError(IfName, v.trim()) : null);
const metricCheck = (v: string) => (v.trim() === '' ? null : fieldError(RouteSchema.shape.metric, Number(v.trim())));

/** Builds a route from its cells (empty = absent). */
function routeOf(to: string, via: string, dev: string, metric: string): Route {
  return {
    to: to.trim() as Route['to'],
    ...(via.trim() ? { via: via.trim() } : {}),
    ...(dev.trim() ? { dev: dev.trim() } : {}),
    ...(metric.trim() ? { metric: Number(metric.trim()) } : {}),
  };
}

/** Issues of route `k` (path …, 'routes', k, …). */
function routeIssues(issues: Issue[] | undefined, k: number): Issue[] {
  return (issues ?? []).filter((i) => {
    const at = i.path.indexOf('routes');
    return at >= 0 && i.path[at + 1] === k;
  });
}

export function RoutesTable({ node, issues }: { node: NamespaceNode; issues: Issue[] | undefined }) {
  const store = useEditorStore();
  const listId = useId();
  const ifnames = useEditor(
    useShallow((s) => s.lab.links.flatMap((l) => l.endpoints.filter((e) => e.node === node.id).map((e) => e.ifname))),
  );
  const [draft, setDraft] = useState({ to: '', via: '', dev: '', metric: '' });
  const draftError =
    toCheck(draft.to) ?? viaCheck(draft.via) ?? devCheck(draft.dev) ?? metricCheck(draft.metric) ?? null;
  const update = (k: number, r: Route, patch: Partial<Record<'to' | 'via' | 'dev' | 'metric', string>>) => {
    const cur = {
      to: r.to,
      via: r.via ?? '',
      dev: r.dev ?? '',
      metric: r.metric?.toString() ?? '',
      ...patch,
    };
    store.getState().updateRoute(node.id, k, routeOf(cur.to, cur.via, cur.dev, cur.metric));
  };
  const add = () => {
    if (!draft.to.trim() || draftError) return;
    store.getState().addRoute(node.id, routeOf(draft.to, draft.via, draft.dev, draft.metric));
    setDraft({ to: '', via: '', dev: '', metric: '' });
  };
  // Route-level issues that do not name a route (e.g. the whole list).
  const general = (issues ?? []).filter((i) => i.path[i.path.length - 1] === 'routes').map((i) => i.message);
  return (
    <div className="nl-field" data-testid="inspector.routes">
      <span className="nl-label">Routes</span>
      <datalist id={listId}>
        {ifnames.map((n) => (
          <option key={n} value={n} />
        ))}
      </datalist>
      <table className="nl-routes">
        <thead>
          <tr>
            <th style={{ width: '34%' }}>to</th>
            <th style={{ width: '26%' }}>via</th>
            <th style={{ width: '22%' }}>dev</th>
            <th style={{ width: '12%' }}>metric</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {node.routes.map((r, k) => {
            const found = routeIssues(issues, k);
            const errs = found.filter((i) => i.severity !== 'warning').map((i) => i.message);
            const t = `inspector.route.${k}`;
            return [
              // biome-ignore lint/suspicious/noArrayIndexKey: a route has no identity; the verbs address rows by index
              <tr key={`${k}:${r.to}`} data-testid={t}>
                <td>
                  <CellInput
                    value={r.to}
                    testid={`${t}.to`}
                    check={toCheck}
                    invalid={errs.length > 0}
                    onCommit={(v) => update(k, r, { to: v })}
                  />
                </td>
                <td>
                  <CellInput
                    value={r.via ?? ''}
                    testid={`${t}.via`}
                    check={viaCheck}
                    onCommit={(v) => update(k, r, { via: v })}
                  />
                </td>
                <td>
                  <CellInput
                    value={r.dev ?? ''}
                    testid={`${t}.dev`}
                    list={listId}
                    check={devCheck}
                    onCommit={(v) => update(k, r, { dev: v })}
                  />
                </td>
                <td>
                  <CellInput
                    value={r.metric?.toString() ?? ''}
                    testid={`${t}.metric`}
                    check={metricCheck}
                    onCommit={(v) => update(k, r, { metric: v })}
                  />
                </td>
                <td>
                  <button
                    type="button"
                    className="nl-btn small ghost"
                    title="Remove this route"
                    aria-label={`remove route ${r.to}`}
                    data-testid={`${t}.remove`}
                    onClick={() => store.getState().removeRoute(node.id, k)}
                  >
                    ✕
                  </button>
                </td>
              </tr>,
              found.length > 0 && (
                // biome-ignore lint/suspicious/noArrayIndexKey: see above
                <tr key={`${k}:err`}>
                  <td colSpan={5}>
                    {found.map((i) =>
                      i.severity === 'warning' ? (
                        <div key={i.message} className="nl-warning" data-testid={`${t}.warning`}>
                          ⚠ {i.message}
                        </div>
                      ) : (
                        <div key={i.message} className="nl-field-error" role="alert" data-testid={`${t}.error`}>
                          {i.message}
                        </div>
                      ),
                    )}
                  </td>
                </tr>
              ),
            ];
          })}
          <tr data-testid="inspector.route-new">
            <td>
              <input
                className={`nl-input mono${draft.to && toCheck(draft.to) ? ' invalid' : ''}`}
                placeholder="10.0.2.0/24"
                value={draft.to}
                data-testid="inspector.route-new.to"
                onChange={(e) => setDraft({ ...draft, to: e.target.value })}
                onKeyDown={(e) => e.key === 'Enter' && add()}
              />
            </td>
            <td>
              <input
                className={`nl-input mono${viaCheck(draft.via) ? ' invalid' : ''}`}
                placeholder="10.0.1.1"
                value={draft.via}
                data-testid="inspector.route-new.via"
                onChange={(e) => setDraft({ ...draft, via: e.target.value })}
                onKeyDown={(e) => e.key === 'Enter' && add()}
              />
            </td>
            <td>
              <input
                className={`nl-input mono${devCheck(draft.dev) ? ' invalid' : ''}`}
                placeholder="dev"
                list={listId}
                value={draft.dev}
                data-testid="inspector.route-new.dev"
                onChange={(e) => setDraft({ ...draft, dev: e.target.value })}
                onKeyDown={(e) => e.key === 'Enter' && add()}
              />
            </td>
            <td>
              <input
                className={`nl-input mono${metricCheck(draft.metric) ? ' invalid' : ''}`}
                placeholder=""
                value={draft.metric}
                data-testid="inspector.route-new.metric"
                onChange={(e) => setDraft({ ...draft, metric: e.target.value })}
                onKeyDown={(e) => e.key === 'Enter' && add()}
              />
            </td>
            <td>
              <button
                type="button"
                className="nl-btn small"
                title="Add this route"
                data-testid="inspector.route-add"
                disabled={!draft.to.trim() || draftError !== null}
                onClick={add}
              >
                +
              </button>
            </td>
          </tr>
        </tbody>
      </table>
      {draft.to.trim() !== '' && draftError && (
        <div className="nl-field-error" data-testid="inspector.route-new.error">
          {draftError}
        </div>
      )}
      {general.map((m) => (
        <div key={m} className="nl-field-error" role="alert">
          {m}
        </div>
      ))}
      <div className="nl-field-hint">“default” or a network; via a next hop on a connected subnet, or a dev.</div>
    </div>
  );
}

// ---------- namespace sysctls ----------

export function NamespaceSysctls({ node }: { node: NamespaceNode }) {
  const store = useEditorStore();
  const update = (patch: Partial<NamespaceNode>) => store.getState().updateNode(node.id, patch);
  return (
    <>
      <div className="nl-field">
        <label htmlFor={`rp-${node.id}`}>Reverse-path filter (rp_filter)</label>
        <select
          id={`rp-${node.id}`}
          className="nl-input"
          data-testid="inspector.rp-filter"
          value={node.rpFilter === undefined ? '' : String(node.rpFilter)}
          onChange={(e) =>
            update({ rpFilter: e.target.value === '' ? undefined : (Number(e.target.value) as 0 | 1 | 2) })
          }
        >
          <option value="">kernel default</option>
          <option value="0">0 · off</option>
          <option value="1">1 · strict</option>
          <option value="2">2 · loose</option>
        </select>
        <div className="nl-field-hint">
          Strict drops packets arriving on an interface it would not route back through.
        </div>
      </div>
      <Toggle
        label="Proxy ARP"
        checked={node.proxyArp === true}
        testid="inspector.proxy-arp"
        onChange={(on) => update({ proxyArp: on ? true : undefined })}
        hint={node.proxyArp ? 'Answers ARP for addresses it can route to.' : undefined}
      />
    </>
  );
}

// ---------- host NAT ----------

/**
 * NAT works only for namespaces that send their traffic to the host: says which need a default route via
 * the host (and adds them, one undo step), as the router hint does for routes via a router.
 */
function NatRoutesHint() {
  const store = useEditorStore();
  // Joined strings keep the selector output stable between renders (useShallow compares the items).
  const needs = useEditor(useShallow((s) => natNeeds(s.lab).map((n) => `${n.node}\t${n.name}\t${n.route?.via ?? ''}`)));
  if (!needs.length) return null;
  const rows = needs.map((line) => {
    const [node, name, via] = line.split('\t') as [string, string, string];
    return { node, name, via };
  });
  const direct = rows.filter((r) => r.via);
  const behind = rows.filter((r) => !r.via);
  const add = () => {
    const byNode = new Map(direct.map((r) => [r.node, r.via] as const));
    const { lab } = store.getState();
    // One history entry for every namespace's new default route.
    store.setState({
      lab: {
        ...lab,
        nodes: lab.nodes.map((n) =>
          n.kind === 'namespace' && byNode.has(n.id)
            ? { ...n, routes: [...n.routes, { to: 'default' as const, via: byNode.get(n.id)! }] }
            : n,
        ),
      },
    });
  };
  return (
    <div className="nl-router-hint" data-testid="inspector.nat-routes">
      <span>
        NAT only helps namespaces that send their traffic to the host: each needs a <b>default route via the host</b>{' '}
        (its address on their link).
      </span>
      {direct.length > 0 && (
        <ul className="mono small">
          {direct.map((r) => (
            <li key={r.node}>
              {r.name}: ip route add default via {r.via}
            </li>
          ))}
        </ul>
      )}
      {behind.length > 0 && (
        <span className="small">
          {behind.map((r) => r.name).join(', ')}: not linked to the host. They reach it through a router namespace that
          is (forwarding, with this default route), and a default route via that router.
        </span>
      )}
      {direct.length > 0 && (
        <button type="button" className="nl-btn small" onClick={add} data-testid="inspector.add-nat-routes">
          Add {direct.length === 1 ? 'this route' : 'these routes'}
        </button>
      )}
    </div>
  );
}

const natSourcesCheck = (v: string): string | null => {
  for (const a of splitList(v)) {
    const r = RouteSchema.shape.to.safeParse(a);
    if (!r.success || a === 'default' || a.includes(':'))
      return `${a}: expected an IPv4 network with a prefix, e.g. 10.0.0.0/24`;
  }
  return null;
};

export function HostNat({ node, issues }: { node: HostNode; issues: Issue[] | undefined }) {
  const store = useEditorStore();
  const update = (patch: Partial<HostNode>) => store.getState().updateNode(node.id, patch);
  const natIssues = (issues ?? []).filter((i) => i.path.includes('nat') && !i.path.includes('sources'));
  const [advanced, setAdvanced] = useState(node.allowDefaultRouteInterface === true);
  return (
    <>
      <Toggle
        label="Give the lab internet-style access (NAT masquerade)"
        checked={node.nat !== undefined && node.nat.masquerade !== false}
        testid="inspector.nat"
        onChange={(on) =>
          update({
            nat: on ? { masquerade: true, ...(node.nat?.sources ? { sources: node.nat.sources } : {}) } : undefined,
          })
        }
        hint="Namespaces linked to the host reach the outside through it, with the host's address."
      />
      {node.nat && (
        <>
          <TextField
            label="Source networks (optional)"
            value={(node.nat.sources ?? []).join(', ')}
            testid="inspector.nat-sources"
            mono
            placeholder="every IPv4 subnet of the lab"
            check={natSourcesCheck}
            errors={issuesFor(issues, 'sources')}
            onCommit={(t) => {
              const sources = splitList(t);
              update({ nat: { masquerade: true, ...(sources.length ? { sources } : {}) } });
            }}
          />
          {natIssues.map((i) => (
            <div
              key={i.message}
              className={i.severity === 'warning' ? 'nl-warning' : 'nl-field-error'}
              data-testid="inspector.nat.issue"
            >
              {i.message}
            </div>
          ))}
          <NatRoutesHint />
          <div className="nl-field-hint" data-testid="inspector.nat-note">
            Netloom writes only its own nftables table (<span className="mono">netloom_&lt;lab&gt;</span>) and never
            touches your other rules. It turns on the host’s IP forwarding if it was off, and restores it when the lab
            is destroyed.
          </div>
        </>
      )}
      <details className="nl-impairment" open={advanced} onToggle={(e) => setAdvanced(e.currentTarget.open)}>
        <summary data-testid="inspector.host-advanced">Advanced</summary>
        <label className="nl-check">
          <input
            type="checkbox"
            checked={node.allowDefaultRouteInterface === true}
            data-testid="inspector.allow-default-route"
            onChange={(e) => update({ allowDefaultRouteInterface: e.target.checked ? true : undefined })}
          />{' '}
          Allow changes to the interface carrying the host’s default route
        </label>
        <div className="nl-warning" data-testid="inspector.allow-default-route.warning">
          ⚠ A mistake on that interface can cut this host — and your remote session — off the network. Leave off unless
          you know why you need it.
        </div>
      </details>
    </>
  );
}
