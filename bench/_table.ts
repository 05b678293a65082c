// Copyright 2026 the serverpush authors. MIT license.
// The Markdown table the benchmark reports print.

/**
 * A Markdown table of `head` and `body`, columns padded to their widest
 * cell: the first two left-aligned (names), the rest right-aligned
 * (figures).
 */
export function table(head: string[], body: string[][]): string {
  const widths = head.map((h, i) =>
    Math.max(h.length, ...body.map((row) => row[i]!.length))
  );
  const line = (cells: string[]): string =>
    `| ${
      cells.map((cell, i) =>
        i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)
      ).join(" | ")
    } |`;
  const rule = `|${
    widths.map((w, i) =>
      i < 2 ? `:${"-".repeat(w + 1)}` : `${"-".repeat(w + 1)}:`
    ).join("|")
  }|`;
  return [line(head), rule, ...body.map(line)].join("\n");
}
