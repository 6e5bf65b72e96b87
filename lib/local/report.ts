/**
 * The simulation report: a text table for the terminal and a self-contained HTML page (inline SVG, no scripts, no
 * network) with a chart of decisions over time per scenario.
 */
import type { ScenarioResult, TimelinePoint } from './simulator';

/** A scenario's figures as the report shows them. */
export interface ReportRow extends ScenarioResult {
  /** Distinct addresses/prefixes pushed to the WAF IP sets. */
  readonly wafBlocked: number;
  readonly blocksCreated: number;
}

const pct = (n: number, d: number) => (d === 0 ? '-' : `${(Math.round((1000 * n) / d) / 10).toFixed(1)}%`);

/** The report's columns, one row per scenario. */
export function reportColumns(r: ReportRow): Record<string, string> {
  return {
    scenario: r.scenario,
    requests: String(r.requests),
    'bot reqs': String(r.botRequests),
    'bots denied': r.botRequests === 0 ? '-' : `${r.botDeniedPct.toFixed(1)}%`,
    'until 1st deny': r.botRequests === 0 ? '-' : String(r.requestsUntilFirstDeny ?? 'never'),
    'humans denied': `${r.humanDenied}/${r.humanRequests}`,
    'all denied': pct(r.timeline.filter((p) => p.denied).length, r.requests),
    'WAF blocks': String(r.wafBlocked),
  };
}

/** A plain-text table (fixed-width columns). */
export function formatReportTable(rows: readonly ReportRow[]): string {
  if (rows.length === 0) return '(no scenarios)';
  const cells = rows.map(reportColumns);
  const headers = Object.keys(cells[0]!);
  const widths = headers.map((h) => Math.max(h.length, ...cells.map((c) => c[h]!.length)));
  const line = (values: string[]) =>
    values.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  return [
    line(headers),
    line(widths.map((w) => '-'.repeat(w))),
    ...cells.map((c) => line(headers.map((h) => c[h]!))),
  ].join('\n');
}

export const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const SERIES = [
  { key: 'botDenied', label: 'bot requests stopped', color: '#2e9d57' },
  { key: 'botAllowed', label: 'bot requests let through', color: '#f0a030' },
  { key: 'humanAllowed', label: 'human requests served', color: '#9db8d9' },
  { key: 'humanDenied', label: 'humans denied (false positives)', color: '#d62f2f' },
] as const;
type SeriesKey = (typeof SERIES)[number]['key'];
/** Other names for the chart's series (replay of an unlabelled log: every request is in the "human" series). */
export type SeriesLabels = Partial<Record<SeriesKey, string>>;

/** The chart's legend as HTML. */
export function chartLegend(labels: SeriesLabels = {}, keys?: readonly SeriesKey[]): string {
  return SERIES.filter((s) => !keys || keys.includes(s.key))
    .map(
      (s) =>
        `<span class="key"><i style="background:${s.color}"></i>${escapeHtml(labels[s.key] ?? s.label)}</span>`,
    )
    .join('');
}

function formatTime(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s}s` : `${Math.round(s / 6) / 10}min`;
}

/** Stacked bars of decisions per time bucket, as an SVG string. */
export function decisionsChart(
  timeline: readonly TimelinePoint[],
  width = 620,
  height = 170,
  labels: SeriesLabels = {},
): string {
  const buckets = 60;
  const end = Math.max(1, ...timeline.map((p) => p.at));
  const size = end / buckets;
  const counts = Array.from({ length: buckets }, () => ({
    botDenied: 0,
    botAllowed: 0,
    humanAllowed: 0,
    humanDenied: 0,
  }));
  for (const p of timeline) {
    const b = counts[Math.min(buckets - 1, Math.floor(p.at / size))]!;
    const key: SeriesKey =
      p.label === 'bot' ? (p.denied ? 'botDenied' : 'botAllowed') : p.denied ? 'humanDenied' : 'humanAllowed';
    b[key] += 1;
  }
  const max = Math.max(1, ...counts.map((c) => c.botDenied + c.botAllowed + c.humanAllowed + c.humanDenied));
  const left = 44;
  const bottom = 22;
  const plotW = width - left - 8;
  const plotH = height - bottom - 8;
  const barW = plotW / buckets;
  const parts: string[] = [];
  parts.push(
    `<line x1="${left}" y1="${8 + plotH}" x2="${left + plotW}" y2="${8 + plotH}" stroke="#888"/>`,
    `<line x1="${left}" y1="8" x2="${left}" y2="${8 + plotH}" stroke="#888"/>`,
    `<text x="${left - 4}" y="14" text-anchor="end" class="ax">${max}</text>`,
    `<text x="${left - 4}" y="${8 + plotH}" text-anchor="end" class="ax">0</text>`,
    `<line x1="${left}" y1="8" x2="${left + plotW}" y2="8" stroke="#eee"/>`,
  );
  counts.forEach((c, i) => {
    let y = 8 + plotH;
    for (const s of SERIES) {
      const n = c[s.key];
      if (n === 0) continue;
      const h = (n / max) * plotH;
      y -= h;
      parts.push(
        `<rect x="${(left + i * barW + 0.5).toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(1, barW - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="${s.color}"><title>${formatTime(i * size)}–${formatTime((i + 1) * size)}: ${n} ${escapeHtml(labels[s.key] ?? s.label)}</title></rect>`,
      );
    }
  });
  for (const f of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(
      `<text x="${(left + f * plotW).toFixed(1)}" y="${height - 6}" text-anchor="${f === 0 ? 'start' : f === 1 ? 'end' : 'middle'}" class="ax">${formatTime(f * end)}</text>`,
    );
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="decisions over time">${parts.join('')}</svg>`;
}

/** The reports' stylesheet (inline: the pages are self-contained). */
export const REPORT_CSS = `body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#222;background:#fafafa}
h1{margin:0 0 4px}h2{margin:0;font-size:16px}.desc{margin:2px 0;color:#555}.notes{color:#666;margin:0 0 12px}
.summary{display:flex;gap:16px;margin:12px 0}.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:10px 16px}
.card b{display:block;font-size:24px}.ok{color:#1d7a40}.warn{color:#b06d00}.bad{color:#c21d1d}
table{border-collapse:collapse;background:#fff;margin:8px 0 16px}th,td{border:1px solid #ddd;padding:4px 10px;text-align:right}
th:first-child,td:first-child{text-align:left}tr.hurt td{background:#fdecec}
.legend{margin:8px 0}.key{margin-right:18px;white-space:nowrap}.key i{display:inline-block;width:12px;height:12px;margin-right:5px;vertical-align:-1px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(640px,1fr));gap:12px}
.panel{background:#fff;border:1px solid #ddd;border-radius:6px;padding:10px}.panel p{margin:4px 0}
.ax{font-size:10px;fill:#666}
`;

/** Options of {@link renderReportHtml}. */
export interface HtmlReportOptions {
  readonly title?: string;
  readonly generatedAt?: Date;
  /** Extra lines under the title (seed, scale, wall time). */
  readonly notes?: readonly string[];
}

/** The whole report as one self-contained HTML document. */
export function renderReportHtml(rows: readonly ReportRow[], options: HtmlReportOptions = {}): string {
  const title = options.title ?? 'Gatewarden simulation report';
  const bots = rows.reduce((n, r) => n + r.botRequests, 0);
  const botsDenied = rows.reduce((n, r) => n + r.botDenied, 0);
  const humans = rows.reduce((n, r) => n + r.humanRequests, 0);
  const humansDenied = rows.reduce((n, r) => n + r.humanDenied, 0);
  const waf = rows.reduce((n, r) => n + r.wafBlocked, 0);
  const cells = rows.map(reportColumns);
  const headers = cells.length > 0 ? Object.keys(cells[0]!) : [];
  const table = `<table><thead><tr>${headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${cells
    .map(
      (c, i) =>
        `<tr${rows[i]!.humanDenied > 0 ? ' class="hurt"' : ''}>${headers.map((h) => `<td>${escapeHtml(c[h]!)}</td>`).join('')}</tr>`,
    )
    .join('')}</tbody></table>`;
  const legend = chartLegend();
  const panels = rows
    .map((r) => {
      const verdict =
        r.botRequests === 0
          ? r.humanDenied === 0
            ? '<b class="ok">no one denied</b>'
            : `<b class="bad">${r.humanDenied} human requests denied</b>`
          : `<b class="${r.botDeniedPct >= 90 ? 'ok' : 'warn'}">${r.botDeniedPct.toFixed(1)}% of bot requests stopped</b>` +
            (r.humanDenied === 0
              ? ' · <b class="ok">no human denied</b>'
              : ` · <b class="bad">${r.humanDenied} human requests denied</b>`);
      return `<section class="panel"><h2>${escapeHtml(r.scenario)}</h2><p class="desc">${escapeHtml(r.description)}</p><p>${verdict} · ${r.requests} requests over ${formatTime(r.durationMs)} of traffic · ${r.wafBlocked} WAF entries</p>${decisionsChart(r.timeline)}</section>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
${REPORT_CSS}</style></head><body>
<h1>${escapeHtml(title)}</h1>
<p class="notes">${[`generated ${(options.generatedAt ?? new Date()).toISOString()}`, ...(options.notes ?? [])].map(escapeHtml).join(' · ')}</p>
<div class="summary">
<div class="card"><b class="${bots > 0 && botsDenied / bots >= 0.9 ? 'ok' : 'warn'}">${pct(botsDenied, bots)}</b>bot requests stopped (${botsDenied} of ${bots})</div>
<div class="card"><b class="${humansDenied === 0 ? 'ok' : 'bad'}">${humansDenied}</b>human requests denied (of ${humans})</div>
<div class="card"><b>${waf}</b>addresses pushed to WAF</div>
</div>
${table}
<div class="legend">${legend}</div>
<p class="notes">Each chart: requests per time slice of the scenario's own (synthetic) clock, stacked by who sent them and what Gatewarden answered.</p>
<div class="grid">
${panels}
</div>
</body></html>
`;
}
