/**
 * Nearest-rank percentiles, the definition the benchmarks report: the value at rank ceil(p/100 * n)
 * of the sorted samples. Always one of the observed values (no interpolation), so a p99 over a few
 * incidents is the worst one actually seen, not a blend that was never measured.
 */

/**
 * The p-th percentile (0 < p <= 100) of `sortedAscending`, or undefined when it is empty.
 * The caller sorts once and asks for several percentiles.
 */
export function nearestRank(sortedAscending: readonly number[], p: number): number | undefined {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  const n = sortedAscending.length;
  if (n === 0) return undefined;
  // p * n first: (p / 100) * n can land a hair above an integer (0.07 * 100 = 7.000000000000001)
  // and ceil would then skip a rank.
  return sortedAscending[Math.ceil((p * n) / 100) - 1];
}
