/** Small statistics for benchmark figures. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? NaN;
}

export const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;

export function summary(values: number[]): { n: number; mean: number; min: number; p50: number; p90: number; p99: number; max: number } {
  const mean = values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
  return {
    n: values.length,
    mean: round(mean),
    min: round(Math.min(...values)),
    p50: round(percentile(values, 50)),
    p90: round(percentile(values, 90)),
    p99: round(percentile(values, 99)),
    max: round(Math.max(...values)),
  };
}

/** Total length of the union of `intervals` (time during which at least one was open). */
export function unionMs(intervals: { start: number; end: number }[]): number {
  const sorted = [...intervals].sort((a, b) => a.start - b.start);
  let total = 0;
  let open: { start: number; end: number } | undefined;
  for (const i of sorted) {
    if (open && i.start <= open.end) open.end = Math.max(open.end, i.end);
    else {
      if (open) total += open.end - open.start;
      open = { ...i };
    }
  }
  return total + (open ? open.end - open.start : 0);
}

/** Counts one more `key` in `counts`. */
export function tally<K>(counts: Map<K, number>, key: K): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/** What one alert delivery came to: its outcome, or the error code it was refused with. */
export function outcomeOf(body: { kind?: string; error?: { code?: string } }): string {
  return body.kind ?? `error:${body.error?.code ?? '?'}`;
}

/** One figure of the table: what was measured, its goal, and whether it is met. */
export interface Goal {
  figure: string;
  goal: string;
  measured: string;
  met: boolean;
}

export function goal(figure: string, goalText: string, measured: string, met: boolean): Goal {
  return { figure, goal: goalText, measured, met };
}
