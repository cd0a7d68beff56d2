import type { LevelSummary } from './run-level';

export interface ChartLevel {
  calls: number;
  summary: LevelSummary;
}

export interface ChartVariant {
  name: string;
  p50: number | null;
  p95: number | null;
}

const STAGE_COLOURS: [keyof LevelSummary['stages'], string, string][] = [
  ['endpointing', '#9e9e9e', 'endpointing wait'],
  ['stt', '#42a5f5', 'STT'],
  ['llm', '#ab47bc', 'LLM (first sentence)'],
  ['tts_first_byte', '#26a69a', 'TTS first byte'],
  ['temporal_dispatch', '#ffa726', 'Temporal dispatch'],
  ['other_overhead', '#ef5350', 'other own overhead'],
];

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function niceMax(value: number): number {
  const step = value > 2000 ? 500 : value > 600 ? 250 : 100;
  return Math.max(step, Math.ceil(value / step) * step);
}

/**
 * The benchmark's chart as a standalone SVG (no plotting library): voice-to-voice percentiles
 * against concurrency, the median turn split into stages per concurrency, and the compared variants.
 */
export function renderChart(title: string, levels: ChartLevel[], variants: ChartVariant[]): string {
  const width = 1340;
  const height = 470;
  const panel = { top: 70, bottom: 390 };
  const parts: string[] = [];
  const text = (x: number, y: number, content: string, attrs = '') => parts.push(`<text x="${x}" y="${y}" ${attrs}>${escape(content)}</text>`);

  // Panel 1: percentiles vs concurrency.
  const p1 = { left: 60, right: 420 };
  const yMax1 = niceMax(Math.max(1800, ...levels.flatMap((l) => [l.summary.voiceToVoice.p95 ?? 0, l.summary.voiceToVoice.max ?? 0])));
  const y1 = (ms: number) => panel.bottom - (ms / yMax1) * (panel.bottom - panel.top);
  const x1 = (i: number) => p1.left + ((i + 0.5) / Math.max(1, levels.length)) * (p1.right - p1.left);
  text(p1.left, 50, 'Voice-to-voice vs concurrent calls', 'font-weight="bold"');
  for (let ms = 0; ms <= yMax1; ms += yMax1 / 5) {
    parts.push(`<line x1="${p1.left}" x2="${p1.right}" y1="${y1(ms)}" y2="${y1(ms)}" stroke="#eee"/>`);
    text(p1.left - 6, y1(ms) + 4, `${Math.round(ms)}`, 'text-anchor="end" font-size="11"');
  }
  for (const [target, label] of [
    [1500, 'target p95 @3'],
    [1800, 'target p95 @30'],
  ] as const) {
    parts.push(`<line x1="${p1.left}" x2="${p1.right}" y1="${y1(target)}" y2="${y1(target)}" stroke="#d32f2f" stroke-dasharray="4 3"/>`);
    text(p1.right - 4, y1(target) - 4, label, 'text-anchor="end" font-size="10" fill="#d32f2f"');
  }
  const series: [string, string, (s: LevelSummary) => number | null][] = [
    ['p50', '#1e88e5', (s) => s.voiceToVoice.p50],
    ['p95', '#e53935', (s) => s.voiceToVoice.p95],
    ['max', '#8e24aa', (s) => s.voiceToVoice.max],
    ['own overhead p95', '#fb8c00', (s) => s.ownOverhead.p95],
  ];
  series.forEach(([name, colour, pick], si) => {
    const points = levels.map((l, i) => [x1(i), pick(l.summary)] as const).filter((p): p is readonly [number, number] => p[1] !== null);
    if (points.length > 0) parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${points.map(([x, y]) => `${x},${y1(y)}`).join(' ')}"/>`);
    for (const [x, y] of points) parts.push(`<circle cx="${x}" cy="${y1(y)}" r="3" fill="${colour}"/>`);
    parts.push(`<rect x="${p1.left + si * 90}" y="${panel.bottom + 38}" width="10" height="10" fill="${colour}"/>`);
    text(p1.left + 14 + si * 90, panel.bottom + 47, name, 'font-size="11"');
  });
  levels.forEach((l, i) => text(x1(i), panel.bottom + 16, String(l.calls), 'text-anchor="middle" font-size="11"'));
  text((p1.left + p1.right) / 2, panel.bottom + 30, 'concurrent calls', 'text-anchor="middle" font-size="11"');
  text(14, (panel.top + panel.bottom) / 2, 'ms', 'font-size="11"');

  // Panel 2: median turn split into stages, per concurrency.
  const p2 = { left: 500, right: 860 };
  const stacks = levels.map((l) => STAGE_COLOURS.map(([key]) => Math.max(0, l.summary.stages[key].p50 ?? 0)));
  const yMax2 = niceMax(Math.max(1000, ...stacks.map((s) => s.reduce((a, b) => a + b, 0))));
  const y2 = (ms: number) => panel.bottom - (ms / yMax2) * (panel.bottom - panel.top);
  text(p2.left, 50, 'Median turn by stage (ms)', 'font-weight="bold"');
  for (let ms = 0; ms <= yMax2; ms += yMax2 / 5) {
    parts.push(`<line x1="${p2.left}" x2="${p2.right}" y1="${y2(ms)}" y2="${y2(ms)}" stroke="#eee"/>`);
    text(p2.left - 6, y2(ms) + 4, `${Math.round(ms)}`, 'text-anchor="end" font-size="11"');
  }
  const slot = (p2.right - p2.left) / Math.max(1, levels.length);
  stacks.forEach((stack, i) => {
    let base = 0;
    stack.forEach((ms, si) => {
      if (ms <= 0) return;
      parts.push(`<rect x="${p2.left + i * slot + slot * 0.2}" y="${y2(base + ms)}" width="${slot * 0.6}" height="${y2(base) - y2(base + ms)}" fill="${STAGE_COLOURS[si]![1]}"><title>${escape(STAGE_COLOURS[si]![2])}: ${ms} ms</title></rect>`);
      base += ms;
    });
    text(p2.left + (i + 0.5) * slot, panel.bottom + 16, String(levels[i]!.calls), 'text-anchor="middle" font-size="11"');
  });
  text((p2.left + p2.right) / 2, panel.bottom + 30, 'concurrent calls', 'text-anchor="middle" font-size="11"');
  STAGE_COLOURS.forEach(([, colour, label], si) => {
    const x = p2.left + (si % 3) * 125;
    const y = panel.bottom + 38 + Math.floor(si / 3) * 16;
    parts.push(`<rect x="${x}" y="${y}" width="10" height="10" fill="${colour}"/>`);
    text(x + 14, y + 9, label, 'font-size="11"');
  });

  // Panel 3: variants side by side.
  const p3 = { left: 960, right: 1240 };
  const yMax3 = niceMax(Math.max(1000, ...variants.map((v) => v.p95 ?? 0)));
  const y3 = (ms: number) => panel.bottom - (ms / yMax3) * (panel.bottom - panel.top);
  text(p3.left - 40, 50, 'Compared designs: voice-to-voice', 'font-weight="bold"');
  for (const [i, [label, colour]] of ([['p50', '#1e88e5'], ['p95', '#e53935']] as const).entries()) {
    parts.push(`<rect x="${p3.left + i * 60}" y="58" width="10" height="10" fill="${colour}"/>`);
    text(p3.left + 14 + i * 60, 67, label, 'font-size="11"');
  }
  for (let ms = 0; ms <= yMax3; ms += yMax3 / 5) {
    parts.push(`<line x1="${p3.left}" x2="${p3.right}" y1="${y3(ms)}" y2="${y3(ms)}" stroke="#eee"/>`);
    text(p3.left - 6, y3(ms) + 4, `${Math.round(ms)}`, 'text-anchor="end" font-size="11"');
  }
  const vslot = (p3.right - p3.left) / Math.max(1, variants.length);
  variants.forEach((variant, i) => {
    const x = p3.left + i * vslot;
    if (variant.p50 !== null) parts.push(`<rect x="${x + vslot * 0.15}" y="${y3(variant.p50)}" width="${vslot * 0.33}" height="${panel.bottom - y3(variant.p50)}" fill="#1e88e5"><title>p50 ${variant.p50} ms</title></rect>`);
    if (variant.p95 !== null) parts.push(`<rect x="${x + vslot * 0.5}" y="${y3(variant.p95)}" width="${vslot * 0.33}" height="${panel.bottom - y3(variant.p95)}" fill="#e53935"><title>p95 ${variant.p95} ms</title></rect>`);
    parts.push(`<text transform="translate(${x + vslot * 0.5},${panel.bottom + 10}) rotate(30)" font-size="10">${escape(variant.name)}</text>`);
  });

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="20" y="24" font-size="15" font-weight="bold">${escape(title)}</text>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
