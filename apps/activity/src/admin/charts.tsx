import 'uplot/dist/uPlot.min.css';
import type { AdminOverview } from '@dpp/shared/admin';
import { useEffect, useMemo, useRef } from 'react';
import uPlot from 'uplot';

/** Loaded lazily (React.lazy) by the dashboard: uPlot and this file are in a chunk of their own. */

const COLORS = { accent: '#e5a00d', info: '#6c8cff', good: '#3ecf8e', bad: '#f0566a' };
const AXIS = { stroke: '#a6acb9', grid: { stroke: 'rgba(255,255,255,0.07)', width: 1 }, ticks: { show: false } };
const HEIGHT = 150;

type Series = { label: string; color: string; values: (number | null)[] };

interface ChartSpec {
  id: string;
  title: string;
  format: (value: number) => string;
  /** A fixed y range (a share in percent); otherwise from 0 to the data's top. */
  range?: [number, number];
  series: Series[];
}

const percent = (v: number | null) => (v === null ? null : v * 100);

/** Small values keep a decimal, so ticks 0, 0.5 and 1 do not all read "1". */
const short = (value: number) => (Math.abs(value) < 10 ? String(Number(value.toFixed(1))) : String(Math.round(value)));

function bytesAxis(value: number): string {
  if (value >= 1e9) return `${short(value / 1e9)} GB/s`;
  if (value >= 1e6) return `${short(value / 1e6)} MB/s`;
  if (value >= 1e3) return `${short(value / 1e3)} KB/s`;
  return `${short(value)} B/s`;
}

const percentAxis = (value: number) => `${short(value)} %`;
/** Rooms and members are whole: no tick between two of them. */
const countAxis = (value: number) => (Number.isInteger(value) ? String(value) : '');

function Chart({ spec, xs }: { spec: ChartSpec; xs: number[] }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const data = useMemo(() => [xs, ...spec.series.map((s) => s.values)] as uPlot.AlignedData, [xs, spec]);
  const shape = spec.series.map((s) => s.label).join('|');

  // Created once per set of series; data updates go through setData.
  // biome-ignore lint/correctness/useExhaustiveDependencies: data is applied by the effect below
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const chart = new uPlot(
      {
        width: Math.max(200, element.clientWidth),
        height: HEIGHT,
        legend: { show: true },
        cursor: { drag: { x: false, y: false } },
        scales: {
          x: { time: true },
          y: { range: (_u, min, max) => spec.range ?? [Math.min(0, min), Math.max(max, 1)] },
        },
        axes: [
          { ...AXIS, space: 60 },
          { ...AXIS, size: 64, values: (_u, ticks) => ticks.map((t) => spec.format(t)) },
        ],
        series: [
          {},
          ...spec.series.map((s) => ({
            label: s.label,
            stroke: s.color,
            width: 2,
            fill: `${s.color}22`,
            points: { show: true, size: 5 },
            value: (_u: uPlot, v: number | null) => (v === null ? '—' : spec.format(v)),
          })),
        ],
      },
      data,
      element,
    );
    plot.current = chart;
    const resize = new ResizeObserver(() =>
      chart.setSize({ width: Math.max(200, element.clientWidth), height: HEIGHT }),
    );
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, [shape]);

  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);

  return (
    <figure className="adm-chart" data-testid={`chart-${spec.id}`}>
      <figcaption>{spec.title}</figcaption>
      <div ref={box} />
    </figure>
  );
}

/** Live charts of the last hour: a point a minute from the server's history, and the live figures as the last point. */
export default function Charts({ overview }: { overview: AdminOverview }) {
  const { history, totals } = overview;
  const live = overview.generatedAt;
  const lastMinute = history.at(-1);
  // A guild admin's live figures cover their guilds only; the history covers all: keep the history's.
  const liveRooms = overview.scope.kind === 'guilds' ? (lastMinute?.rooms ?? null) : overview.rooms.length;
  const liveMembers =
    overview.scope.kind === 'guilds'
      ? (lastMinute?.members ?? null)
      : overview.rooms.reduce((n, room) => n + room.members.length, 0);

  const xs = useMemo(() => [...history.map((p) => p.t / 1000), live / 1000], [history, live]);
  const specs = useMemo<ChartSpec[]>(
    () => [
      {
        id: 'bandwidth',
        title: 'Stream bandwidth',
        format: bytesAxis,
        series: [
          {
            label: 'sent',
            color: COLORS.accent,
            values: [...history.map((p) => p.bytesPerSecond), totals.bytesPerSecond],
          },
        ],
      },
      {
        id: 'cache',
        title: 'Cache hit rate',
        format: percentAxis,
        range: [0, 100],
        series: [
          {
            label: 'hits',
            color: COLORS.good,
            values: [...history.map((p) => percent(p.cacheHitRate)), percent(totals.cacheHitRate)],
          },
        ],
      },
      {
        id: 'errors',
        title: 'Error rates',
        format: percentAxis,
        series: [
          {
            label: 'HTTP 5xx',
            color: COLORS.bad,
            values: [...history.map((p) => percent(p.httpErrorRate)), percent(totals.httpErrorRate)],
          },
          {
            label: 'WebSocket',
            color: COLORS.info,
            values: [...history.map((p) => percent(p.wsErrorRate)), percent(totals.wsErrorRate)],
          },
        ],
      },
      {
        id: 'rooms',
        title: 'Rooms and members',
        format: countAxis,
        series: [
          { label: 'rooms', color: COLORS.accent, values: [...history.map((p) => p.rooms), liveRooms] },
          { label: 'members', color: COLORS.info, values: [...history.map((p) => p.members), liveMembers] },
        ],
      },
    ],
    [history, totals, liveRooms, liveMembers],
  );

  return (
    <div className="adm-charts">
      {specs.map((spec) => (
        <Chart key={spec.id} spec={spec} xs={xs} />
      ))}
    </div>
  );
}
