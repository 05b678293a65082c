// Copyright 2026 the serverpush authors. MIT license.
// The "monitoring dashboard": temperature and voltage gauges, status LEDs.

import { sparkline } from "./sparkline.js";

const TEMPERATURE_RANGE = [15, 30];
const VOLTAGE_RANGE = [11.5, 12.5];
const ALARM_CELSIUS = 26;

function fraction(value, [min, max]) {
  return Math.min(1, Math.max(0, (value - min) / (max - min)));
}

function gauge(root, range, digits) {
  const value = root.querySelector('[data-role="value"]');
  const bar = root.querySelector(".bar i");
  const draw = sparkline(root.querySelector("polyline"));
  return (reading) => {
    value.textContent = reading.toFixed(digits);
    bar.style.setProperty("--level", fraction(reading, range).toFixed(3));
    draw(reading);
  };
}

/**
 * Returns `update(snapshot)`, which renders a telemetry snapshot into the
 * dashboard card `root`.
 *
 * @param {HTMLElement} root
 */
export function dashboard(root) {
  const temperatureRoot = root.querySelector('[data-role="temperature"]');
  const threshold = temperatureRoot.querySelector(".bar s");
  threshold.style.left = `${fraction(ALARM_CELSIUS, TEMPERATURE_RANGE) * 100}%`;
  const temperature = gauge(temperatureRoot, TEMPERATURE_RANGE, 1);
  const voltage = gauge(
    root.querySelector('[data-role="voltage"]'),
    VOLTAGE_RANGE,
    2,
  );
  const leds = {
    power: root.querySelector('[data-role="led-power"]'),
    link: root.querySelector('[data-role="led-link"]'),
    alarm: root.querySelector('[data-role="led-alarm"]'),
  };
  return (snapshot) => {
    root.dataset.step = String(snapshot.step);
    temperature(snapshot.temperature);
    voltage(snapshot.voltage);
    for (const [name, on] of Object.entries(snapshot.leds)) {
      leds[name]?.classList.toggle("on", on);
    }
    temperatureRoot.classList.toggle("alarm", snapshot.leds.alarm);
  };
}
