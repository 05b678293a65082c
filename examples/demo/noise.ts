// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

/**
 * Deterministic noise for the demo scenarios: every value is a pure function
 * of its inputs, so event `n` has the same content in every process.
 *
 * @module
 */

/**
 * Hashes an integer and a seed to a number in `[0, 1)` (splitmix32-style).
 *
 * @param n The integer to hash.
 * @param seed A second integer that selects an independent sequence.
 * @returns A uniformly distributed number in `[0, 1)`.
 */
export function hash01(n: number, seed: number): number {
  let x = (Math.imul(n | 0, 0x9e3779b1) ^ Math.imul(seed | 0, 0x85ebca77)) >>>
    0;
  x = Math.imul(x ^ (x >>> 16), 0x21f0aaad);
  x = Math.imul(x ^ (x >>> 15), 0x735a2d97);
  x ^= x >>> 15;
  return (x >>> 0) / 4294967296;
}

/**
 * Smooth value noise in `[0, 1)`: hashed values at the integers, eased in
 * between.
 *
 * @param x Position along the noise line.
 * @param seed Selects an independent noise line.
 * @returns The noise value at `x`.
 */
export function smoothNoise(x: number, seed: number): number {
  const i = Math.floor(x);
  const f = x - i;
  const t = f * f * (3 - 2 * f);
  const a = hash01(i, seed);
  const b = hash01(i + 1, seed);
  return a + (b - a) * t;
}

/**
 * Three octaves of {@linkcode smoothNoise}: wanders like a random walk but
 * stays in `[0, 1)`.
 *
 * @param x Position along the noise line.
 * @param seed Selects an independent noise line.
 * @returns The noise value at `x`.
 */
export function fractalNoise(x: number, seed: number): number {
  return (smoothNoise(x, seed) * 4 + smoothNoise(x * 2.7, seed + 101) * 2 +
    smoothNoise(x * 7.3, seed + 202)) / 7;
}
