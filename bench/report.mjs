// Benchmark results → JSON, a Markdown table with ratios, and an SVG chart.
import fs from 'node:fs/promises';
import path from 'node:path';

const SERVERS = ['edge-relay', 'js-worker', 'fastapi'];
/** The cheapest Rust/wasm worker (bench/floor), measured on one route. */
const FLOOR = 'rust-floor';
/** The JS worker's behaviour in plain Rust (bench/plain), measured on its two routes. */
const PLAIN = 'rust-plain';
const RUST = [FLOOR, PLAIN];
const COLORS = { 'edge-relay': '#e8590c', 'js-worker': '#1c7ed6', fastapi: '#2f9e44', [FLOOR]: '#868e96', [PLAIN]: '#ae3ec9' };

const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

/** One row per server, route and concurrency, over all rounds. */
function summarise(samples) {
  const groups = new Map();
  for (const s of samples) {
    const key = `${s.server}|${s.route}|${s.concurrency}`;
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  return [...groups.values()].map((g) => {
    // Latency exists only where requests finished; a cell where none did has none.
    const finished = g.filter((s) => s.requests > 0);
    return {
      server: g[0].server,
      route: g[0].route,
      concurrency: g[0].concurrency,
      rps: mean(g.map((s) => s.rps)),
      p50_ms: finished.length ? median(finished.map((s) => s.p50_ms)) : NaN,
      p99_ms: finished.length ? median(finished.map((s) => s.p99_ms)) : NaN,
      errors: g.reduce((n, s) => n + s.errors, 0),
      rss_mb: Math.max(...g.map((s) => s.rss_mb)),
      unfinished_cells: g.length - finished.length,
    };
  });
}

const fmt = (n, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '–');
/** Requests/s, flagging cells in which no request finished at all. */
const rate = (r) => (r.unfinished_cells ? `${fmt(r.rps)} (${r.unfinished_cells} cell(s) with none finished)` : fmt(r.rps));

function markdown(run, rows) {
  const find = (server, route, c) => rows.find((r) => r.server === server && r.route === route && r.concurrency === c);
  const lines = [
    `Machine: ${run.machine.cpus}, ${run.machine.cores} cores (load generator on the same cores); ${run.rounds} round(s) × ${run.duration_s} s per cell, servers alternating.`,
    '',
    '| route | conc | edge-relay req/s | js-worker req/s | fastapi req/s | edge/js | edge/fastapi | p50 ms (edge / js / fastapi) | p99 ms (edge / js / fastapi) | errors (e/j/f) | RSS MB (e/j/f) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- | --- |',
  ];
  const routes = [...new Set(rows.map((r) => r.route))];
  for (const route of routes) {
    for (const c of run.concurrency) {
      const [e, j, f] = SERVERS.map((s) => find(s, route, c));
      if (!e || !j || !f) continue;
      lines.push(
        `| ${route} | ${c} | ${rate(e)} | ${rate(j)} | ${rate(f)} | ${fmt(e.rps / j.rps, 2)} | ${fmt(e.rps / f.rps, 2)} | ` +
          `${fmt(e.p50_ms, 1)} / ${fmt(j.p50_ms, 1)} / ${fmt(f.p50_ms, 1)} | ${fmt(e.p99_ms, 1)} / ${fmt(j.p99_ms, 1)} / ${fmt(f.p99_ms, 1)} | ` +
          `${e.errors}/${j.errors}/${f.errors} | ${fmt(e.rss_mb)}/${fmt(j.rss_mb)}/${fmt(f.rss_mb)} |`,
      );
    }
  }
  const floorRows = run.concurrency.map((c) => [find(FLOOR, '/async-example', c), find('edge-relay', '/async-example', c), find('js-worker', '/async-example', c)]);
  if (floorRows.some(([fl, e, j]) => fl && e && j)) {
    lines.push(
      '',
      `The floor: ${FLOOR} (a wasm \`fetch\` export answering the constant body, same toolchain, settings and shim) on /async-example.`,
      '',
      `| conc | ${FLOOR} req/s | edge-relay req/s | js-worker req/s | edge/floor | js/floor |`,
      '| ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const [fl, e, j] of floorRows) {
      if (fl && e && j) lines.push(`| ${fl.concurrency} | ${rate(fl)} | ${rate(e)} | ${rate(j)} | ${fmt(e.rps / fl.rps, 2)} | ${fmt(j.rps / fl.rps, 2)} |`);
    }
  }
  // Its routes are the ones it was measured on (bench/run.mjs declares them).
  const plainRoutes = routes.filter((route) => rows.some((r) => r.server === PLAIN && r.route === route));
  const plainRows = plainRoutes.flatMap((route) =>
    run.concurrency.map((c) => [find(PLAIN, route, c), find('edge-relay', route, c), find('js-worker', route, c)]),
  );
  if (plainRows.some(([p, e, j]) => p && e && j)) {
    lines.push(
      '',
      `Plain Rust: ${PLAIN} (the JS worker's behaviour in Rust with wasm-bindgen, no framework; same toolchain, settings and shim). ` +
        'edge/plain is what edge-relay\'s own machinery costs, plain/js what the same work costs in wasm.',
      '',
      `| route | conc | ${PLAIN} req/s | edge-relay req/s | js-worker req/s | edge/plain | plain/js |`,
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const [p, e, j] of plainRows) {
      if (p && e && j) lines.push(`| ${p.route} | ${p.concurrency} | ${rate(p)} | ${rate(e)} | ${rate(j)} | ${fmt(e.rps / p.rps, 2)} | ${fmt(p.rps / j.rps, 2)} |`);
    }
  }
  if (run.relay?.length) {
    const cell = (server) => {
      const runs = run.relay.filter((r) => r.server === server);
      return { mib_s: median(runs.map((r) => r.mib_s)), cpu: median(runs.map((r) => r.cpu_ms_per_mib)), rss: Math.max(...runs.map((r) => r.rss_mb)), errors: runs.reduce((n, r) => n + r.errors, 0) };
    };
    const [e, j] = ['edge-relay', 'js-worker'].map(cell);
    lines.push(
      '',
      `Relay: a 100 MiB body from nginx passed through (${run.relay_connections} connections at once), median of rounds; CPU is the worker process's.`,
      '',
      '| server | MiB/s | CPU ms per MiB | peak RSS MB | errors |',
      '| --- | ---: | ---: | ---: | ---: |',
      `| edge-relay | ${fmt(e.mib_s)} | ${fmt(e.cpu, 2)} | ${fmt(e.rss)} | ${e.errors} |`,
      `| js-worker | ${fmt(j.mib_s)} | ${fmt(j.cpu, 2)} | ${fmt(j.rss)} | ${j.errors} |`,
      `| edge/js | ${fmt(e.mib_s / j.mib_s, 2)} | ${fmt(e.cpu / j.cpu, 2)} | | |`,
    );
  }
  lines.push(
    '',
    `- wasm: ${run.size.wasm_raw} bytes raw, ${run.size.wasm_gzip} bytes gzip`,
    `- startup (workerd start → first 200, medians of ${run.startup.runs} alternating runs, 1 ms polling): edge-relay ${fmt(run.startup.edge_ms)} ms, ` +
      `js-worker ${fmt(run.startup.js_ms)} ms, ${FLOOR} ${fmt(run.startup.floor_ms)} ms, ${PLAIN} ${fmt(run.startup.plain_ms)} ms; ` +
      `against the JS worker's run of the same turn ${fmt(run.startup.edge_vs_js, 2)}×, ${fmt(run.startup.floor_vs_js, 2)}× and ${fmt(run.startup.plain_vs_js, 2)}×`,
    `- peak RSS over the whole run: ${[...SERVERS, ...RUST].map((s) => `${s} ${fmt(run.peak_rss_mb[s])} MB`).join(', ')}`,
    `- servers restarted because they were still busy with abandoned requests 10 s after a cell: ${
      Object.entries(run.restarts).map(([s, n]) => `${s} ${n}×`).join(', ') || 'none'
    }`,
  );
  const agg = run.concurrency.map((c) => find('edge-relay', '/aggregate', c)).filter(Boolean);
  if (agg.length) lines.push(`- /aggregate (6 × 100 ms upstream calls) p50 on edge-relay: ${agg.map((r) => `${fmt(r.p50_ms, 1)} ms at ${r.concurrency}`).join(', ')}`);
  return lines.join('\n');
}

/** Throughput and p99 versus concurrency, one pair of panels per route. */
function svg(run, rows) {
  const routes = [...new Set(rows.map((r) => r.route))];
  const W = 360;
  const H = 220;
  const pad = { l: 58, r: 12, t: 28, b: 36 };
  const xs = run.concurrency;
  const x = (c) => pad.l + (xs.length === 1 ? (W - pad.l - pad.r) / 2 : (xs.indexOf(c) / (xs.length - 1)) * (W - pad.l - pad.r));
  const parts = [];
  routes.forEach((route, ri) => {
    [['rps', 'requests/s'], ['p99_ms', 'p99 latency (ms)']].forEach(([metric, label], mi) => {
      const ox = mi * W;
      const oy = ri * H;
      const data = rows.filter((r) => r.route === route);
      const max = Math.max(...data.map((r) => r[metric]).filter(Number.isFinite), 1) * 1.1;
      const y = (v) => oy + H - pad.b - (v / max) * (H - pad.t - pad.b);
      parts.push(`<text x="${ox + pad.l}" y="${oy + 18}" font-size="13" font-weight="bold">${route} — ${label}</text>`);
      parts.push(`<line x1="${ox + pad.l}" y1="${oy + H - pad.b}" x2="${ox + W - pad.r}" y2="${oy + H - pad.b}" stroke="#999"/>`);
      parts.push(`<line x1="${ox + pad.l}" y1="${oy + pad.t}" x2="${ox + pad.l}" y2="${oy + H - pad.b}" stroke="#999"/>`);
      for (const f of [0, 0.5, 1]) {
        parts.push(`<text x="${ox + pad.l - 6}" y="${y(max * f / 1.1) + 4}" font-size="10" text-anchor="end">${fmt(max * f / 1.1)}</text>`);
      }
      for (const c of xs) parts.push(`<text x="${ox + x(c)}" y="${oy + H - pad.b + 14}" font-size="10" text-anchor="middle">${c}</text>`);
      parts.push(`<text x="${ox + (W + pad.l) / 2}" y="${oy + H - 6}" font-size="10" text-anchor="middle">connections</text>`);
      for (const server of [...SERVERS, ...RUST]) {
        const pts = xs
          .map((c) => data.find((r) => r.server === server && r.concurrency === c))
          .filter((r) => r && Number.isFinite(r[metric]));
        const d = pts.map((r) => `${ox + x(r.concurrency)},${y(r[metric])}`).join(' ');
        parts.push(`<polyline fill="none" stroke="${COLORS[server]}" stroke-width="2" points="${d}"/>`);
        for (const r of pts) parts.push(`<circle cx="${ox + x(r.concurrency)}" cy="${y(r[metric])}" r="3" fill="${COLORS[server]}"/>`);
      }
    });
  });
  const legendY = routes.length * H + 16;
  [...SERVERS, ...RUST].forEach((s, i) => {
    parts.push(`<rect x="${pad.l + i * 130}" y="${legendY - 10}" width="12" height="12" fill="${COLORS[s]}"/>`);
    parts.push(`<text x="${pad.l + i * 130 + 18}" y="${legendY}" font-size="12">${s}</text>`);
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${legendY + 12}" font-family="sans-serif"><rect width="100%" height="100%" fill="white"/>${parts.join('')}</svg>\n`;
}

/** Writes results.json, results.md and chart.svg into `dir`; returns the Markdown. */
export async function writeReports(dir, run) {
  const rows = summarise(run.samples);
  const md = markdown(run, rows);
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'results.json'), JSON.stringify({ ...run, summary: rows }, null, 2) + '\n');
  await fs.writeFile(path.join(dir, 'results.md'), md + '\n');
  await fs.writeFile(path.join(dir, 'chart.svg'), svg(run, rows));
  return md;
}

// `node bench/report.mjs bench/results/results.json` redraws the reports from saved samples.
if (import.meta.url === `file://${process.argv[1]}`) {
  const file = path.resolve(process.argv[2]);
  const { summary, ...run } = JSON.parse(await fs.readFile(file, 'utf8'));
  console.log(await writeReports(path.dirname(file), run));
}
