// "Did you mean" for a mistyped command, subcommand or shell name. No imports: main.ts loads this on every
// unknown command, and `hive hook` shares main.ts's module graph.

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours cost 1. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1
  const cols = b.length + 1
  const d: number[] = new Array(rows * cols).fill(0)
  for (let i = 0; i < rows; i++) d[i * cols] = i
  for (let j = 0; j < cols; j++) d[j] = j
  for (let i = 1; i < rows; i++)
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let best = Math.min(d[(i - 1) * cols + j]! + 1, d[i * cols + j - 1]! + 1, d[(i - 1) * cols + j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[(i - 2) * cols + j - 2]! + 1)
      d[i * cols + j] = best
    }
  return d[rows * cols - 1]!
}

/**
 * The candidate the user most likely meant, if any is close: a third of the word's letters may be wrong (at
 * least one), or the word is the start of exactly one candidate (`hive sess`).
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase()
  if (w.length === 0) return undefined
  const starts = candidates.filter((c) => c.startsWith(w))
  if (starts.length === 1) return starts[0]
  const allowed = Math.max(1, Math.floor(w.length / 3))
  let best: { name: string; distance: number } | undefined
  for (const c of candidates) {
    const distance = editDistance(w, c)
    if (distance <= allowed && (!best || distance < best.distance)) best = { name: c, distance }
  }
  return best?.name
}

/** ` (did you mean "serve"?)`, or nothing when no candidate is close. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const match = closest(word, candidates)
  return match ? ` (did you mean "${match}"?)` : ""
}
