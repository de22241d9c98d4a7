/**
 * The live loss chart: one or more series of per-epoch losses on a plain canvas (no chart library), redrawn whole on
 * each new point — a few dozen points cost well under a millisecond, so the page's main thread stays free. The
 * y axis is linear from 0 unless the losses span more than a factor of 50, then logarithmic.
 */
export interface Series {
  label: string;
  values: number[];
  color: string;
}

const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#be185d', '#4d7c0f'];

export class LossChart {
  private series: Series[] = [];

  constructor(private readonly canvas: HTMLCanvasElement) {
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  clear(): void {
    this.series = [];
    this.draw();
  }

  /** Starts a new series and returns its index. */
  add(label: string, values: number[] = []): number {
    this.series.push({ label, values: [...values], color: PALETTE[this.series.length % PALETTE.length] });
    this.draw();
    return this.series.length - 1;
  }

  push(index: number, value: number): void {
    this.series[index].values.push(value);
    this.draw();
  }

  draw(): void {
    const c = this.canvas;
    const dpr = globalThis.devicePixelRatio || 1;
    const width = c.clientWidth || c.width;
    const height = c.clientHeight || c.height;
    if (c.width !== Math.round(width * dpr)) c.width = Math.round(width * dpr);
    if (c.height !== Math.round(height * dpr)) c.height = Math.round(height * dpr);
    const g = c.getContext('2d');
    if (!g) return;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, width, height);
    g.font = '12px system-ui, sans-serif';
    const pad = { left: 56, right: 12, top: 12, bottom: 32 };
    const w = width - pad.left - pad.right;
    const h = height - pad.top - pad.bottom;

    const finite = this.series.flatMap((s) => s.values.filter((v) => Number.isFinite(v)));
    const nMax = Math.max(2, ...this.series.map((s) => s.values.length));
    g.strokeStyle = '#94a3b8';
    g.fillStyle = '#475569';
    g.lineWidth = 1;
    g.strokeRect(pad.left, pad.top, w, h);
    if (finite.length === 0) {
      g.textAlign = 'center';
      g.fillText('loss per example, by epoch — appears as the network trains', pad.left + w / 2, pad.top + h / 2);
      return;
    }
    const hi = Math.max(...finite);
    const lo = Math.min(...finite);
    const log = lo > 0 && hi / lo > 50;
    const yMin = log ? Math.log10(lo) : 0;
    const yMax = log ? Math.log10(hi) : hi * 1.05 || 1;
    const y = (v: number) => pad.top + h - (((log ? Math.log10(v) : v) - yMin) / (yMax - yMin || 1)) * h;
    const x = (i: number) => pad.left + (i / (nMax - 1)) * w;

    // Axes: 5 y ticks, epoch ticks at a readable step.
    g.textAlign = 'right';
    g.textBaseline = 'middle';
    for (let t = 0; t <= 4; t++) {
      const yv = yMin + ((yMax - yMin) * t) / 4;
      const py = pad.top + h - (h * t) / 4;
      g.fillText(formatTick(log ? 10 ** yv : yv), pad.left - 6, py);
      g.strokeStyle = '#e2e8f0';
      g.beginPath();
      g.moveTo(pad.left + 1, py);
      g.lineTo(pad.left + w - 1, py);
      g.stroke();
    }
    g.textAlign = 'center';
    g.textBaseline = 'top';
    const step = Math.max(1, Math.ceil(nMax / 10));
    for (let i = 0; i < nMax; i += step) g.fillText(String(i + 1), x(i), pad.top + h + 6);
    g.fillText('epoch', pad.left + w / 2, pad.top + h + 18);

    for (const s of this.series) {
      g.strokeStyle = s.color;
      g.fillStyle = s.color;
      g.lineWidth = 2;
      g.beginPath();
      s.values.forEach((v, i) => {
        if (!Number.isFinite(v)) return;
        if (i === 0 || !Number.isFinite(s.values[i - 1])) g.moveTo(x(i), y(v));
        else g.lineTo(x(i), y(v));
      });
      g.stroke();
      if (s.values.length <= 60) s.values.forEach((v, i) => Number.isFinite(v) && g.fillRect(x(i) - 2, y(v) - 2, 4, 4));
    }
    // Legend, top right, on a veil so lines under it stay readable.
    const shown = this.series.slice(-8);
    const legendWidth = Math.max(...shown.map((s) => g.measureText(s.label).width)) + 12;
    g.fillStyle = 'rgba(255, 255, 255, 0.85)';
    g.fillRect(pad.left + w - legendWidth - 4, pad.top + 2, legendWidth, shown.length * 15 + 6);
    g.textAlign = 'right';
    g.textBaseline = 'top';
    shown.forEach((s, k) => {
      g.fillStyle = s.color;
      g.fillText(s.label, pad.left + w - 8, pad.top + 6 + k * 15);
    });
  }
}

function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 1 ? v.toFixed(2) : a >= 0.01 ? v.toFixed(3) : v.toExponential(1);
}
