import { chartLegend, decisionsChart, escapeHtml, REPORT_CSS, type SeriesLabels } from '../local/report';
import type { TimelinePoint } from '../local/simulator';
import {
  blockRows,
  causeRows,
  clientRows,
  duration,
  pct,
  type ReplayMeta,
  type Rows,
  routeRows,
} from './report-text';
import type { ReplaySummary } from './summary';

const UNLABELLED: SeriesLabels = { humanAllowed: 'requests served', humanDenied: 'requests refused' };

function htmlTable({ headers, rows }: Rows): string {
  if (rows.length === 0) return '<p class="notes">none</p>';
  const head = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function chart(s: ReplaySummary): string {
  const labelled = s.humans.requests + s.bots.requests > 0;
  // An unlabelled line is drawn in the "human" series under neutral names.
  const points: TimelinePoint[] = s.timeline.map((t) => ({
    at: t.at,
    label: t.label ?? 'human',
    status: 0,
    denied: t.refused,
  }));
  const labels = labelled ? {} : UNLABELLED;
  const legend = chartLegend(labels, labelled ? undefined : ['humanAllowed', 'humanDenied']);
  return `<div class="legend">${legend}</div>${decisionsChart(points, 900, 200, labels)}`;
}

function cards(s: ReplaySummary): string {
  const card = (value: string, text: string, cls = '') =>
    `<div class="card"><b class="${cls}">${escapeHtml(value)}</b>${escapeHtml(text)}</div>`;
  const out = [
    card(pct(s.refused.requests, s.requests), `requests refused (${s.refused.requests} of ${s.requests})`),
    card(String(s.refused.ips), `IPs refused (${s.refused.subjects} subjects)`),
    card(String(s.blockedClients.length), 'distinct clients blocked'),
  ];
  if (s.humans.requests > 0) {
    out.push(
      card(
        String(s.humans.refused),
        `human requests refused (of ${s.humans.requests})`,
        s.humans.refused === 0 ? 'ok' : 'bad',
      ),
    );
  }
  return `<div class="summary">${out.join('')}</div>`;
}

/** The replay's report as one self-contained HTML page (inline SVG and CSS, no scripts, no network). */
export function renderReplayHtml(s: ReplaySummary, m: ReplayMeta): string {
  const notes = [
    `${m.source} (${m.format}), ${s.requests} requests over ${duration(s.spanMs / 1000)} from ${new Date(s.firstAt).toISOString()}`,
    `policy ${m.policySource}, enforce-mode answer on an isolated table`,
    `${m.containers} container(s), seed ${m.seed}`,
  ];
  const caveats = [
    ...m.notJudged.map((n) => `not judged: ${n}`),
    ...m.approximations.map((n) => `approximated: ${n}`),
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Gatewarden replay report</title>
<style>
${REPORT_CSS}</style></head><body>
<h1>Gatewarden replay report</h1>
<p class="notes">${notes.map(escapeHtml).join(' · ')}</p>
${cards(s)}
<section class="panel"><h2>Decisions over time</h2><p class="desc">Requests per time slice of the recorded clock, by what enforce mode would have answered.</p>${chart(s)}</section>
<h2>Refused, by cause</h2>
${htmlTable(causeRows(s))}
<h2>By route</h2>
${htmlTable(routeRows(s))}
<h2>Blocked clients</h2>
${htmlTable(blockRows(s))}
<h2>Most refused clients</h2>
${htmlTable(clientRows(s))}
${caveats.length > 0 ? `<h2>What this replay could not see</h2><ul>${caveats.map((c) => `<li>${escapeHtml(c)}</li>`).join('')}</ul>` : ''}
</body></html>
`;
}
