/**
 * "Live kernel state" of a namespace in the inspector (issue #15 item 5): `lo` and every interface with its
 * addresses, the routing table, neighbours (ARP/NDP) and the bridge FDB, read from the kernel on demand
 * (GET /api/labs/:name/nodes/:node/live) once the lab is applied; each row is marked design (the lab made it)
 * or live (the kernel's own, or added by hand).
 */
import { useCallback, useEffect, useState } from 'react';
import type { NamespaceNode } from '../../../shared/lab';
import { NodeLiveResponse } from '../../../shared/live';
import { ApiError, request } from '../api/client';
import { markLive, type Origin } from '../liveMarks';
import { useEditor } from '../store/context';

function Mark({ origin }: { origin: Origin }) {
  return (
    <span
      className={`nl-origin origin-${origin}`}
      data-origin={origin}
      title={
        origin === 'design' ? 'in the design: Netloom made it' : 'live only: the kernel has it, the design does not say'
      }
    >
      {origin}
    </span>
  );
}

export function LiveKernelState({ node }: { node: NamespaceNode }) {
  const lab = useEditor((s) => s.lab);
  const applied = useEditor((s) => s.appliedRevision);
  const [data, setData] = useState<NodeLiveResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const load = useCallback(async () => {
    setBusy(true);
    try {
      const res = await request(
        (...a) => fetch(...a),
        'GET',
        `/api/labs/${encodeURIComponent(lab.name)}/nodes/${encodeURIComponent(node.id)}/live`,
      );
      setData(NodeLiveResponse.parse(await res.json()));
      setError(null);
    } catch (e) {
      setData(null);
      setError(e instanceof ApiError ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  }, [lab.name, node.id]);
  useEffect(() => {
    if (applied !== null) void load();
    else setData(null);
  }, [applied, load]);
  if (applied === null)
    return (
      <div className="nl-field" data-testid="inspector.live">
        <span className="nl-label">Live kernel state</span>
        <div className="nl-field-hint">
          Apply the lab to read this namespace's routes, neighbours and FDB from the kernel.
        </div>
      </div>
    );
  const marked = data ? markLive(lab, node.id, data) : null;
  return (
    <div className="nl-field nl-live" data-testid="inspector.live">
      <div className="nl-row">
        <span className="nl-label">Live kernel state</span>
        <button
          type="button"
          className="nl-btn small"
          data-testid="inspector.live.refresh"
          disabled={busy}
          onClick={() => void load()}
        >
          ↻ Read again
        </button>
      </div>
      {error && (
        <div className="nl-callout error" data-testid="inspector.live.error">
          {error}
        </div>
      )}
      {marked && data && (
        <>
          <div className="nl-live-title">Interfaces</div>
          <table className="nl-live-table mono small" data-testid="inspector.live.interfaces">
            <tbody>
              {marked.interfaces.map((i) => (
                <tr key={i.ifname} data-testid={`inspector.live.if.${i.ifname}`}>
                  <td>
                    {i.ifname} <Mark origin={i.origin} />
                  </td>
                  <td>{i.operstate}</td>
                  <td>
                    {i.addresses.map((a) => (
                      <div key={a.cidr}>
                        {a.cidr} <Mark origin={a.origin} />
                      </div>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="nl-live-title">Routes</div>
          <table className="nl-live-table mono small" data-testid="inspector.live.routes">
            <tbody>
              {marked.routes.map((r) => (
                <tr key={`${r.family}${r.dst}${r.dev}${r.gateway}${r.metric}`} data-origin={r.origin}>
                  <td>{r.dst}</td>
                  <td>{r.gateway ? `via ${r.gateway}` : ''}</td>
                  <td>{r.dev ? `dev ${r.dev}` : ''}</td>
                  <td>{r.protocol ?? ''}</td>
                  <td>
                    <Mark origin={r.origin} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="nl-live-title">Neighbours (ARP / NDP)</div>
          {data.neighbours.length === 0 ? (
            <div className="nl-field-hint">none yet: a neighbour appears after the first packet to it (ping one).</div>
          ) : (
            <table className="nl-live-table mono small" data-testid="inspector.live.neighbours">
              <tbody>
                {data.neighbours.map((n) => (
                  <tr key={`${n.address}${n.dev}`}>
                    <td>{n.address}</td>
                    <td>dev {n.dev}</td>
                    <td>{n.lladdr ?? ''}</td>
                    <td>{n.state.join(' ')}</td>
                    <td>
                      <Mark origin="live" />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <div className="nl-live-title">Bridge FDB</div>
          {data.fdb.length === 0 ? (
            <div className="nl-field-hint">no unicast entries.</div>
          ) : (
            <table className="nl-live-table mono small" data-testid="inspector.live.fdb">
              <tbody>
                {data.fdb.map((f) => (
                  <tr key={`${f.mac}${f.dev}${f.vlan}${f.dst}`}>
                    <td>{f.mac}</td>
                    <td>dev {f.dev}</td>
                    <td>{f.dst ? `dst ${f.dst}` : f.master ? `master ${f.master}` : ''}</td>
                    <td>{f.vlan ? `vlan ${f.vlan}` : ''}</td>
                    <td>{f.state ?? 'learned'}</td>
                    <td>
                      <Mark origin="live" />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <div className="nl-field-hint">read {new Date(data.readAt).toLocaleTimeString()}</div>
        </>
      )}
    </div>
  );
}
