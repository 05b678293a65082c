// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

/**
 * The "real-time quotes" scenario: a few made-up symbols whose prices wander
 * step by step. A step's prices are a pure function of the step number.
 *
 * @module
 */

import { fractalNoise, hash01 } from "./noise.ts";

/** One symbol's price at one step. */
export interface Quote {
  /** Ticker symbol. */
  symbol: string;
  /** Price at this step, rounded to cents. */
  price: number;
  /** Difference from the previous step's price, rounded to cents. */
  change: number;
}

/** All symbols' prices at one step. */
export interface QuoteSnapshot {
  /** Step number, counting from 1. */
  step: number;
  /** One entry per symbol, always in the same order. */
  quotes: Quote[];
}

const SYMBOLS: readonly { symbol: string; base: number; seed: number }[] =
  Object.freeze([
    { symbol: "ACME", base: 182.4, seed: 11 },
    { symbol: "GLBX", base: 47.15, seed: 23 },
    { symbol: "INIT", base: 311.9, seed: 37 },
    { symbol: "UMBR", base: 9.82, seed: 41 },
    { symbol: "WYNE", base: 1204.5, seed: 53 },
  ]);

function cents(value: number): number {
  // `|| 0` turns -0 into 0, which prints without a sign.
  return Math.round(value * 100) / 100 || 0;
}

function priceAt(step: number, base: number, seed: number): number {
  const drift = (fractalNoise(step / 40, seed) - 0.5) * 0.12;
  const jitter = (hash01(step, seed + 7) - 0.5) * 0.004;
  return cents(base * (1 + drift + jitter));
}

/**
 * Returns every symbol's price at `step`.
 *
 * @param step Step number, counting from 1.
 * @returns The snapshot; the same step always gives the same snapshot.
 */
export function quoteSnapshot(step: number): QuoteSnapshot {
  return {
    step,
    quotes: SYMBOLS.map(({ symbol, base, seed }) => {
      const price = priceAt(step, base, seed);
      return {
        symbol,
        price,
        change: cents(price - priceAt(step - 1, base, seed)),
      };
    }),
  };
}
