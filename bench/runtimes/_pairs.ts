// Copyright 2026 the serverpush authors. MIT license.
// What bench/runtimes.ts and bench/runtimes_pool.ts share: the statistics of
// the pairs' ratios (median, middle half, and the 95% confidence interval
// of the median), the targets of #15, and the lines that judge them.

/** The `p` quantile of `values`, interpolated between neighbours. */
export function quantile(values: number[], p: number): number {
  const sorted = values.toSorted((x, y) => x - y);
  const at = (sorted.length - 1) * p;
  const low = Math.floor(at);
  const high = Math.ceil(at);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (at - low);
}

/** The median of `values`. */
export function median(values: number[]): number {
  return quantile(values, 0.5);
}

/** The pairs' ratios of a cell, ours / theirs, summed up. */
export interface Paired {
  /** How many pairs. */
  n: number;
  median: number;
  /** The middle half: the 25th and 75th percentiles. */
  q25: number;
  q75: number;
  /**
   * The 95% confidence interval of the median, from the order statistics
   * (no assumption on the ratios' distribution); `undefined` under 6 pairs,
   * which are too few for one.
   */
  low?: number;
  high?: number;
}

/**
 * The median, middle half and the median's 95% confidence interval of
 * `ratios`, leaving out those that are not finite (a turn of theirs that
 * read nothing); `undefined` if none is left.
 *
 * The interval runs from the j-th to the k-th smallest ratio, with j and k
 * the binomial(n, 1/2) bounds in the normal approximation: n/2 ∓ 0.98 √n.
 */
export function paired(ratios: number[]): Paired | undefined {
  const finite = ratios.filter((ratio) => Number.isFinite(ratio))
    .toSorted((x, y) => x - y);
  const n = finite.length;
  if (n === 0) return undefined;
  const result: Paired = {
    n,
    median: median(finite),
    q25: quantile(finite, 0.25),
    q75: quantile(finite, 0.75),
  };
  if (n >= 6) {
    const half = 0.98 * Math.sqrt(n);
    const j = Math.max(1, Math.floor(n / 2 - half));
    const k = Math.min(n, Math.ceil(n / 2 + 1 + half));
    result.low = finite[j - 1]!;
    result.high = finite[k - 1]!;
  }
  return result;
}

/** "0.95-1.02x", the middle half. */
export function middleHalf(pair: Paired | undefined): string {
  return pair === undefined
    ? ""
    : `${pair.q25.toFixed(2)}-${pair.q75.toFixed(2)}x`;
}

/** "0.97-1.01x", the median's 95% confidence interval, or "". */
export function interval(pair: Paired | undefined): string {
  return pair?.low === undefined || pair.high === undefined
    ? ""
    : `${pair.low.toFixed(2)}-${pair.high.toFixed(2)}x`;
}

/** A runtime's targets (#15), as ours / theirs. */
export interface Targets {
  /** The least ratio of round trips, every echo cell. */
  echo: number;
  /** The most ratio of CPU per broadcast, if there is a target. */
  fanoutCpu?: number;
  /** The most ratio of RSS per idle connection. */
  rss: number;
}

/** The targets of #15 by runtime. */
export const TARGETS: Readonly<Record<"deno" | "node" | "bun", Targets>> = {
  deno: { echo: 0.95, rss: 1.1 },
  node: { echo: 1, fanoutCpu: 1, rss: 1.2 },
  bun: { echo: 0.9, fanoutCpu: 1.3, rss: 2 },
};

/**
 * The lines that judge a runtime's targets: every echo cell's median at
 * least the floor (the worst named, with its interval), the CPU per
 * broadcast's median at most its ceiling, the RSS ratio at most its ceiling.
 */
export function targetLines(
  targets: Targets,
  echoes: [cell: string, Paired][],
  fanout: Paired | undefined,
  rss: number | undefined,
): string[] {
  const verdict = (met: boolean | undefined): string =>
    met === undefined ? "not measured" : met ? "met" : "NOT MET";
  const lines: string[] = [];
  const worst = echoes.toSorted(([, x], [, y]) => x.median - y.median)[0];
  const ci = worst === undefined ? "" : interval(worst[1]);
  lines.push(
    `target: echo round trips, every cell at least ${targets.echo}x: ${
      worst === undefined
        ? verdict(undefined)
        : `worst ${worst[1].median.toFixed(3)}x (${worst[0]}${
          ci === "" ? "" : `; 95% CI ${ci}`
        }), ${
          echoes.filter(([, pair]) => pair.median >= targets.echo).length
        } of ${echoes.length} cells: ${
          verdict(worst[1].median >= targets.echo)
        }`
    }`,
  );
  if (targets.fanoutCpu !== undefined) {
    const cpu = fanout?.median;
    lines.push(
      `target: CPU per broadcast at most ${targets.fanoutCpu}x: ${
        cpu === undefined
          ? verdict(undefined)
          : `${cpu.toFixed(3)}x: ${verdict(cpu <= targets.fanoutCpu)}`
      }`,
    );
  }
  lines.push(
    `target: RSS per idle connection at most ${targets.rss}x: ${
      rss === undefined
        ? verdict(undefined)
        : `${rss.toFixed(3)}x: ${verdict(rss <= targets.rss)}`
    }`,
  );
  return lines;
}

/** One runtime's pairs from one run, as `--ratios FILE` writes them. */
export interface RatiosRecord {
  /** "deno", "node" or "bun". */
  runtime: "deno" | "node" | "bun";
  /** The version line of the table, such as "Deno 2.9.6". */
  title: string;
  /** Whether it was ours against a copy of ours (`--self`). */
  self: boolean;
  /** When the run started (ISO 8601). */
  at: string;
  /** Each echo cell's pairs' ratios, by cell name ("32 B, 50 clients"). */
  echo: Record<string, number[]>;
  /** The fan-out's pairs' ratios of CPU per broadcast, if measured. */
  fanout?: number[];
  /** The ratio of RSS per idle connection, if measured. */
  rss?: number;
}
