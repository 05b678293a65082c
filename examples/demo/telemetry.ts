// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.

/**
 * The "monitoring dashboard" scenario: one rack's temperature, supply voltage
 * and status LEDs. A step's readings are a pure function of the step number.
 *
 * @module
 */

import { fractalNoise, hash01 } from "./noise.ts";

/** Temperature above which the alarm LED lights, in degrees Celsius. */
export const ALARM_CELSIUS = 26;

/** The rack's readings at one step. */
export interface TelemetrySnapshot {
  /** Step number, counting from 1. */
  step: number;
  /** Inlet temperature in degrees Celsius, one decimal. */
  temperature: number;
  /** Supply voltage in volts, two decimals. */
  voltage: number;
  /** Status LEDs: on or off. */
  leds: { power: boolean; link: boolean; alarm: boolean };
}

/**
 * Returns the rack's readings at `step`.
 *
 * @param step Step number, counting from 1.
 * @returns The snapshot; the same step always gives the same snapshot.
 */
export function telemetrySnapshot(step: number): TelemetrySnapshot {
  const temperature = Math.round(
    (19.5 + fractalNoise(step / 30, 71) * 8.5 +
      (hash01(step, 72) - 0.5) * 0.2) *
      10,
  ) / 10;
  const voltage = Math.round(
    (12 + (fractalNoise(step / 12, 83) - 0.5) * 0.6 +
      (hash01(step, 84) - 0.5) * 0.04) * 100,
  ) / 100;
  return {
    step,
    temperature,
    voltage,
    leds: {
      power: true,
      link: hash01(step, 95) < 0.6,
      alarm: temperature > ALARM_CELSIUS,
    },
  };
}
