/**
 * One capture tab: /ws/capture on one end of a link. Records are decoded in the browser (shared/pcap.ts)
 * and kept in a ring buffer (the newest CAPTURE_KEEP; older ones drop out), the list is virtualized. The
 * filter restarts the capture (the server compiles it and answers an error when it does not); pause stops
 * appending but keeps the socket; the kept records download as a .pcap.
 */
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import {
  type DecodedPacket,
  decodeRecord,
  type PcapHeader,
  type PcapRecord,
  parsePcapHeader,
  parseRecord,
  writePcap,
} from '../../../shared/pcap';
import { CAPTURE_FILTER_CHARS, CAPTURE_PATH, CaptureServerMessage } from '../../../shared/tools';
import { tunnelPorts } from '../capture/ports';
import { useEditorStore } from '../store/context';
import { protocolClass } from './model';
import { RingBuffer } from './ringBuffer';
import { openToolSocket, toolUrl } from './sockets';

/** Records kept in memory per capture (oldest dropped beyond this). */
export const CAPTURE_KEEP = 5000;
const ROW_H = 22;
const OVERSCAN = 10;

interface Row {
  n: number;
  record: PcapRecord;
  packet: DecodedPacket;
}

type CapState = 'connecting' | 'running' | 'stopped' | 'error';

export default function CaptureView({
  lab,
  link,
  end,
  ifname,
  active,
}: {
  lab: string;
  link: string;
  end: 0 | 1;
  ifname: string;
  active: boolean;
}) {
  const store = useEditorStore();
  const ring = useRef(new RingBuffer<Row>(CAPTURE_KEEP));
  const header = useRef<PcapHeader | null>(null);
  const paused = useRef(false);
  const seq = useRef(0);
  const firstTs = useRef<number | null>(null);
  const [, setTick] = useState(0);
  const [state, setState] = useState<CapState>('connecting');
  const [error, setError] = useState<string | null>(null);
  const [stats, setStats] = useState({ packets: 0, dropped: 0 });
  const [isPaused, setPaused] = useState(false);
  const [filter, setFilter] = useState('');
  const [draft, setDraft] = useState('');
  const [run, setRun] = useState(0);

  // Repaint at most once a frame however fast packets come.
  const raf = useRef(0);
  const bump = useCallback(() => {
    if (raf.current) return;
    raf.current = requestAnimationFrame(() => {
      raf.current = 0;
      setTick((t) => t + 1);
    });
  }, []);

  useEffect(() => {
    void run;
    setState('connecting');
    setError(null);
    setStats({ packets: 0, dropped: 0 });
    header.current = null;
    const ws = openToolSocket(store, toolUrl(CAPTURE_PATH, { lab, link, end, filter }));
    // The lab's own VXLAN/WireGuard ports, so their packets decode as tunnels too.
    const ports = tunnelPorts(store.getState().lab);
    let failed = false;
    ws.onmessage = (e) => {
      if (typeof e.data !== 'string') {
        const bytes = new Uint8Array(e.data as ArrayBuffer);
        try {
          if (!header.current) {
            header.current = parsePcapHeader(bytes);
            return;
          }
          if (paused.current) return;
          const r = parseRecord(header.current, bytes, 0);
          if (!r) return;
          const packet = decodeRecord(header.current, r.record, ports);
          firstTs.current ??= packet.ts;
          ring.current.push({ n: ++seq.current, record: r.record, packet });
          bump();
        } catch (err) {
          setError(`unreadable capture data: ${(err as Error).message}`);
        }
        return;
      }
      let msg: CaptureServerMessage;
      try {
        msg = CaptureServerMessage.parse(JSON.parse(e.data));
      } catch {
        return;
      }
      if (msg.type === 'started') setState('running');
      else if (msg.type === 'stats') setStats({ packets: msg.packets, dropped: msg.dropped });
      else if (msg.type === 'stopped') {
        setStats({ packets: msg.packets, dropped: msg.dropped });
        setState('stopped');
      } else {
        failed = true;
        setError(msg.message);
        setState('error');
      }
    };
    ws.onclose = () => {
      if (!failed) setState('stopped');
    };
    return () => ws.close();
  }, [lab, link, end, filter, run, store, bump]);

  useEffect(() => () => cancelAnimationFrame(raf.current), []);

  // ---- virtualized list ----
  const scroller = useRef<HTMLDivElement>(null);
  const [view, setView] = useState({ top: 0, height: 300 });
  const stick = useRef(true);
  const total = ring.current.length;
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && stick.current && active) el.scrollTop = el.scrollHeight;
  });
  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setView((v) => ({ ...v, height: el.clientHeight })));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    stick.current = el.scrollTop + el.clientHeight >= el.scrollHeight - ROW_H;
    setView({ top: el.scrollTop, height: el.clientHeight });
  };
  const from = Math.max(0, Math.floor(view.top / ROW_H) - OVERSCAN);
  const to = Math.min(total, Math.ceil((view.top + view.height) / ROW_H) + OVERSCAN);
  const rows: Row[] = [];
  for (let i = from; i < to; i++) rows.push(ring.current.at(i)!);

  const applyFilter = () => {
    const f = draft.trim();
    if (!CAPTURE_FILTER_CHARS.test(f)) {
      setError('a capture filter may use letters, digits, spaces and . : / ( ) ! < > = & | -');
      return;
    }
    if (f === filter) setRun((r) => r + 1);
    else setFilter(f);
  };
  const clear = () => {
    ring.current.clear();
    seq.current = 0;
    firstTs.current = null;
    stick.current = true;
    setTick((t) => t + 1);
  };
  const download = () => {
    if (!header.current) return;
    const bytes = writePcap(
      header.current,
      ring.current.toArray().map((r) => r.record),
    );
    const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/vnd.tcpdump.pcap' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `${lab}-${ifname}.pcap`;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };
  const t0 = firstTs.current ?? 0;

  return (
    <div
      className="nl-capture"
      data-testid={`capture.${link}.${end}`}
      data-state={state}
      data-paused={String(isPaused)}
    >
      <div className="nl-capture-bar">
        <span className={`nl-cap-dot ${isPaused ? 'paused' : state}`} title={state} />
        <b className="mono">{ifname}</b>
        <form
          className="nl-capture-filter"
          onSubmit={(e) => {
            e.preventDefault();
            applyFilter();
          }}
        >
          <input
            className={`nl-input mono${error && state === 'error' ? ' invalid' : ''}`}
            data-testid="capture.filter"
            placeholder="BPF filter, e.g. icmp or tcp port 80 — Enter to restart"
            value={draft}
            maxLength={256}
            onChange={(e) => setDraft(e.target.value)}
          />
        </form>
        <button
          type="button"
          className="nl-btn small"
          data-testid="capture.pause"
          aria-pressed={isPaused}
          onClick={() => {
            paused.current = !paused.current;
            setPaused(paused.current);
          }}
        >
          {isPaused ? 'Resume' : 'Pause'}
        </button>
        <button type="button" className="nl-btn small" data-testid="capture.clear" onClick={clear}>
          Clear
        </button>
        {state === 'stopped' && (
          <button
            type="button"
            className="nl-btn small"
            data-testid="capture.restart"
            onClick={() => setRun((r) => r + 1)}
          >
            Restart
          </button>
        )}
        <button
          type="button"
          className="nl-btn small"
          data-testid="capture.download"
          disabled={!header.current}
          onClick={download}
          title="Download the kept packets as a .pcap (opens in Wireshark)"
        >
          Download .pcap
        </button>
        <span className="nl-capture-stats mono" data-testid="capture.stats">
          {state === 'connecting' ? 'starting…' : state === 'stopped' ? 'stopped · ' : ''}
          {Math.max(stats.packets, seq.current)} packets · {stats.dropped} dropped
          {ring.current.dropped > 0 ? ` · kept newest ${total}` : ''}
        </span>
      </div>
      {error && (
        <div className="nl-callout error nl-capture-error" data-testid="capture.error">
          {error}
        </div>
      )}
      <div className="nl-capture-head mono">
        <span>No.</span>
        <span>Time</span>
        <span>Source</span>
        <span>Destination</span>
        <span>Protocol</span>
        <span>Info</span>
      </div>
      <div className="nl-capture-list" ref={scroller} onScroll={onScroll}>
        <div style={{ height: total * ROW_H, position: 'relative' }}>
          {rows.map((r, i) => (
            <div
              key={r.n}
              className={`nl-capture-row mono proto-${protocolClass(r.packet.protocol)}`}
              data-testid="capture.row"
              data-protocol={r.packet.protocol}
              style={{ top: (from + i) * ROW_H, height: ROW_H }}
            >
              <span>{r.n}</span>
              <span>{(r.packet.ts - t0).toFixed(6)}</span>
              <span title={r.packet.src}>{r.packet.src}</span>
              <span title={r.packet.dst}>{r.packet.dst}</span>
              <span>{r.packet.protocol}</span>
              <span title={r.packet.info}>{r.packet.info}</span>
            </div>
          ))}
        </div>
        {total === 0 && (
          <div className="nl-empty nl-capture-empty">
            {state === 'running'
              ? isPaused
                ? 'Paused.'
                : 'Waiting for packets… (ping across this link)'
              : state === 'connecting'
                ? 'Starting tcpdump…'
                : ''}
          </div>
        )}
      </div>
    </div>
  );
}
