// Copyright 2026 the serverpush authors. MIT license.
// A tiny SVG sparkline over the last few values.

const POINTS = 40;

/**
 * Returns a function that appends a value and redraws `polyline`, whose SVG
 * has a `0 0 100 24` view box.
 *
 * @param {SVGPolylineElement} polyline
 */
export function sparkline(polyline) {
  const values = [];
  return (value) => {
    values.push(value);
    if (values.length > POINTS) values.shift();
    const min = Math.min(...values);
    const max = Math.max(...values);
    const span = max - min || 1;
    polyline.setAttribute(
      "points",
      values.map((v, i) =>
        `${((i / Math.max(1, values.length - 1)) * 100).toFixed(1)},${
          (22 - ((v - min) / span) * 20).toFixed(1)
        }`
      ).join(" "),
    );
  };
}
