/**
 * Runs a search: asks the strategy for batches of configurations, evaluates each `reps` times with different seeds
 * (the book's n_reps = 3), records failures (a NaN/Inf loss, or an error) without stopping, and ranks
 * configurations by mean validation score. The test score is carried along but never used to choose.
 */
import type { Strategy } from './strategy.ts';
import type { TrialParams } from './space.ts';

export interface TrialOutcome {
  status: 'ok' | 'failed';
  valid: number;
  test: number;
  /** Anything else worth reporting (loss curve, timings, ROC-AUC). */
  detail?: Record<string, unknown>;
  error?: string;
}

/** Evaluates a batch of (params, seed) pairs; may train them together. */
export type Evaluator = (batch: { params: TrialParams; seed: number }[]) => Promise<TrialOutcome[]>;

export interface TrialSummary {
  params: TrialParams;
  status: 'ok' | 'failed';
  valid: { mean: number; sd: number; values: number[] };
  test: { mean: number; sd: number; values: number[] };
  runs: TrialOutcome[];
}

export interface SearchResult {
  strategy: string;
  trials: TrialSummary[];
  /** The configuration with the best mean validation score among those that did not fail. */
  best: TrialSummary | null;
}

export interface SearchOptions {
  strategy: Strategy;
  evaluate: Evaluator;
  reps?: number;
  /** Seeds are seed0, seed0 + 1, … for the repetitions. */
  seed0?: number;
  /** Configurations asked for at once. */
  batch?: number;
  onTrial?: (t: TrialSummary, done: number) => void;
}

export function meanSd(values: number[]): { mean: number; sd: number } {
  if (values.length === 0) return { mean: Number.NaN, sd: Number.NaN };
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = values.length > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1)) : 0;
  return { mean, sd };
}

export async function runSearch(o: SearchOptions): Promise<SearchResult> {
  const reps = o.reps ?? 1;
  if (!Number.isInteger(reps) || reps < 1) throw new RangeError(`reps must be a positive integer, got ${reps}`);
  const trials: TrialSummary[] = [];
  for (;;) {
    const configs = o.strategy.ask(o.batch ?? 1);
    if (configs.length === 0) break;
    const jobs = configs.flatMap((params) => Array.from({ length: reps }, (_, r) => ({ params, seed: (o.seed0 ?? 0) + r })));
    let outcomes: TrialOutcome[];
    try {
      outcomes = await o.evaluate(jobs);
    } catch (e) {
      outcomes = jobs.map(() => ({ status: 'failed' as const, valid: Number.NaN, test: Number.NaN, error: (e as Error).message }));
    }
    const told: { params: TrialParams; score: number }[] = [];
    configs.forEach((params, c) => {
      const runs = outcomes.slice(c * reps, (c + 1) * reps);
      const ok = runs.filter((r) => r.status === 'ok' && Number.isFinite(r.valid));
      const v = ok.map((r) => r.valid), t = ok.map((r) => r.test);
      const summary: TrialSummary = {
        params,
        status: ok.length === runs.length ? 'ok' : 'failed',
        valid: { ...meanSd(v), values: v },
        test: { ...meanSd(t), values: t },
        runs,
      };
      trials.push(summary);
      told.push({ params, score: summary.status === 'ok' ? summary.valid.mean : Number.NaN });
      o.onTrial?.(summary, trials.length);
    });
    o.strategy.tell(told);
  }
  const ranked = [...trials].sort((a, b) => rankKey(b) - rankKey(a));
  return { strategy: o.strategy.name, trials: ranked, best: ranked.find((t) => t.status === 'ok') ?? null };
}

function rankKey(t: TrialSummary): number {
  return t.status === 'ok' && Number.isFinite(t.valid.mean) ? t.valid.mean : -Infinity;
}
