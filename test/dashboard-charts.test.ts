/**
 * The study charts the dashboard and the report share (src/report/trial-charts.ts), checked through the data-*
 * attributes of their marks: the best-so-far line in either direction, the time axis from cumulative trial
 * seconds, pruned learning curves shorter and in another colour, and parallel coordinates with a log axis for a
 * log-uniform range and evenly spaced choices.
 */
import { describe, expect, it } from 'vitest';
import type { SearchSpace } from '../src/hpo/space.ts';
import type { Objective, TrialRecord, TrialState } from '../src/hpo/trial.ts';
import { bestTrial, intermediateValues, optimizationHistory, parallelCoordinates, studyCharts, trialEndTimes } from '../src/report/trial-charts.ts';

const MAX: Objective = { name: 'valid-wacc', direction: 'maximize' };
const MIN: Objective = { name: 'valid-wacc', direction: 'minimize' };
const SPACE: SearchSpace = { lr: { kind: 'loguniform', low: 1e-4, high: 1e-1 }, hidden: { kind: 'choice', values: [50, 100, 200] } };

function trial(id: number, state: TrialState, value: number, epochs: number, params = { lr: 10 ** -(1 + id % 3), hidden: [50, 100, 200][id % 3] }): TrialRecord {
  return {
    id, params, state, seeds: [0], budget: epochs, seconds: 10 + id,
    intermediate: Array.from({ length: epochs }, (_, i) => ({ epoch: i + 1, value: value - 0.01 * (epochs - i - 1) })),
    values: state === 'complete' ? { 'valid-wacc': value, 'test-wacc': 0.9 } : {},
  };
}

const TRIALS = [trial(0, 'complete', 0.6, 5), trial(1, 'complete', 0.7, 5), trial(2, 'pruned', 0.65, 2), trial(3, 'complete', 0.65, 5), trial(4, 'failed', Number.NaN, 0), trial(5, 'running', 0.5, 3)];

const attr = (svg: string, cls: string, name: string) => [...svg.matchAll(new RegExp(`class="${cls}"[^>]*?data-${name}="([^"]*)"`, 'g'))].map((m) => m[1]);

describe('trial charts', () => {
  it('history: every finished trial, the best so far in the objective direction', () => {
    const up = optimizationHistory(TRIALS, MAX);
    expect(attr(up, 'trial', 'trial')).toEqual(['0', '1', '2', '3']);
    expect(attr(up, 'trial', 'state')).toEqual(['complete', 'complete', 'pruned', 'complete']);
    expect(attr(up, 'best', 'best')).toEqual(['0.7']);
    expect(attr(optimizationHistory(TRIALS, MIN), 'best', 'best')).toEqual(['0.6']);
    expect(bestTrial(TRIALS, MAX)!.id).toBe(1);
    expect(bestTrial(TRIALS, MIN)!.id).toBe(0);
    expect(optimizationHistory([], MAX)).toContain('no finished trials yet');
  });

  it('history against time: trial ends as cumulative seconds', () => {
    expect([...trialEndTimes(TRIALS).values()]).toEqual([10, 21, 33, 46, 60, 75]);
    const svg = optimizationHistory(TRIALS, MAX, 'time');
    expect(svg).toContain('seconds since the study started');
    const xs = [...svg.matchAll(/class="trial"[^>]*cx="([\d.]+)"/g)].map((m) => Number(m[1]));
    // x grows with end time, proportionally: gaps 11, 12, 13 s
    expect((xs[2] - xs[1]) / (xs[1] - xs[0])).toBeCloseTo(12 / 11, 2);
  });

  it('intermediate values: one curve per trial, pruned ones shorter and in their own colour', () => {
    const svg = intermediateValues(TRIALS, MAX);
    expect(attr(svg, 'curve', 'trial').sort()).toEqual(['0', '1', '2', '3', '5']);
    const curve = (id: number) => new RegExp(`<polyline class="curve" data-trial="${id}" data-state="(\\w+)" data-points="(\\d+)" fill="none" stroke="([^"]+)"`).exec(svg)!;
    expect(curve(2).slice(1)).toEqual(['pruned', '2', '#ff7f0e']);
    expect(curve(1).slice(1)).toEqual(['complete', '5', '#1f77b4']);
    expect(curve(5)[3]).not.toBe(curve(1)[3]);
  });

  it('parallel coordinates: a log axis for log-uniform, choices evenly spaced, one line per complete trial', () => {
    const svg = parallelCoordinates(TRIALS, SPACE, MAX);
    expect(attr(svg, 'pc-axis', 'param')).toEqual(['lr', 'hidden', 'valid-wacc']);
    expect([...svg.matchAll(/class="pc-axis" data-param="[^"]+" data-scale="(\w+)"/g)].map((m) => m[1])).toEqual(['log', 'category', 'linear']);
    expect(attr(svg, 'pc-line', 'trial')).toEqual(['0', '3', '1']);
    // on the log axis 1e-4 … 1e-1, lr = 0.01 sits two thirds of the way up (a linear axis would put it at 0.1)
    const pts = (id: number) => new RegExp(`data-trial="${id}"[^>]*points="([^"]+)"`).exec(svg)![1].split(' ').map((p) => p.split(',').map(Number));
    const bottom = yAt(svg, 1e-4), top = yAt(svg, 0.1);
    expect(pts(0)[0][1]).toBeCloseTo(top, 0); // trial 0: lr 0.1
    expect((bottom - pts(1)[0][1]) / (bottom - top)).toBeCloseTo(2 / 3, 2); // trial 1: lr 0.01
    // choices 50, 100, 200 evenly spaced: trial 1 (hidden 100) halfway
    const hb = pts(0)[1][1];
    expect(svg).not.toContain('data-trial="2"'); // trial 2 was pruned: no line
    expect(pts(1)[1][1]).toBeCloseTo(hb - (hb - top) / 2, 0);
  });

  it('four charts in the order the dashboard and report show them', () => {
    expect(studyCharts(TRIALS, SPACE, MAX).map((c) => c.id)).toEqual(['history-by-trial', 'history-by-time', 'intermediate-values', 'parallel-coordinates']);
  });
});

/** The y of lr = v on the parallel-coordinates lr axis, from its tick labels (bottom tick 1.00e-4, top 0.1000). */
function yAt(svg: string, v: number): number {
  const axis = /data-param="lr"[\s\S]*?<\/g>/.exec(svg)![0];
  const ticks = [...axis.matchAll(/<text x="[\d.]+" y="([\d.]+)">([^<]+)<\/text>/g)].map((m) => ({ y: Number(m[1]) - 3, label: Number(m[2]) }));
  const t = ticks.find((k) => Math.abs(k.label - v) / v < 1e-3)!;
  return t.y;
}
