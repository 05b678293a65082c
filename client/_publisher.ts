// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: `PushClient.send`, over the open WebSocket or with a `POST`.

import { truncate } from "../_internal/truncate.ts";
import { backoffDelay } from "../_internal/backoff.ts";
import type { ConnectSettings } from "./_connect_settings.ts";
import type { PushSendOptions } from "./push_client.ts";
import {
  publishFields,
  readSendOptions,
  type SendOptions,
} from "./_send_options.ts";

const SF_ESCAPE_REGEXP = /["\\]/g;
/** Network failures (status 0) and the answers of an overloaded server. */
const RETRIED_STATUSES = new Set([0, 502, 503, 504]);

/**
 * Publishes to the topic for one client: over the WebSocket while one is
 * open (see {@linkcode setSender}) and `publishOverWebSocket` is set, else
 * with a `POST`; it keeps the `POST`s under way so that closing can wait
 * for them.
 */
export class Publisher {
  readonly #settings: ConnectSettings;
  readonly #signal: AbortSignal;
  #sender: ((text: string) => void) | undefined;
  readonly #sends = new Set<Promise<unknown>>();

  /**
   * @param settings The topic URL, headers, `fetch` and
   * `publishOverWebSocket`.
   * @param signal Aborted when the client closes.
   */
  constructor(settings: ConnectSettings, signal: AbortSignal) {
    this.#settings = settings;
    this.#signal = signal;
  }

  /** Called with a send function while a WebSocket is open, else undefined. */
  setSender(send: ((text: string) => void) | undefined): void {
    this.#sender = send;
  }

  /** Settles when every `POST` under way has. */
  settled(): Promise<unknown> {
    return Promise.all(this.#sends);
  }

  /** See {@linkcode PushClient.send}. */
  send(
    data: string | Uint8Array,
    options: PushSendOptions = {},
  ): Promise<void> {
    let checked: SendOptions;
    try {
      checked = readSendOptions("send message", data, options);
    } catch (error) {
      return Promise.reject(error);
    }
    const { event, idempotencyKey, retries } = checked;
    if (this.#signal.aborted) {
      return Promise.reject(
        new Error("Cannot send message: the client is closed"),
      );
    }
    if (this.#settings.publishOverWebSocket && this.#sender !== undefined) {
      const frame = publishFields(data, checked);
      try {
        this.#sender(JSON.stringify(frame));
        return Promise.resolve();
      } catch (error) {
        return Promise.reject(error);
      }
    }
    const sending = this.#post(data, event, idempotencyKey, retries);
    const settled: Promise<unknown> = sending.then(
      (): boolean => this.#sends.delete(settled),
      (): boolean => this.#sends.delete(settled),
    );
    this.#sends.add(settled);
    return sending;
  }

  async #post(
    data: string | Uint8Array,
    event: string | undefined,
    idempotencyKey: string,
    retries: number,
  ): Promise<void> {
    const target = new URL(this.#settings.url);
    if (event !== undefined) target.searchParams.set("event", event);
    const headers = new Headers(this.#settings.headers);
    headers.set(
      "content-type",
      typeof data === "string"
        ? "text/plain; charset=utf-8"
        : "application/octet-stream",
    );
    // An sf-string, as the IETF httpapi draft writes the header.
    headers.set(
      "idempotency-key",
      `"${idempotencyKey.replace(SF_ESCAPE_REGEXP, "\\$&")}"`,
    );
    for (let attempt = 0;; attempt++) {
      let response: Response | undefined;
      let failure: unknown;
      try {
        response = await this.#settings.fetch(target, {
          method: "POST",
          headers,
          body: typeof data === "string" ? data : new Uint8Array(data),
          signal: this.#signal,
        });
      } catch (error) {
        if (this.#signal.aborted) throw error;
        failure = error;
      }
      const text = response === undefined ? "" : await response.text();
      if (response?.ok) return;
      if (attempt >= retries || !RETRIED_STATUSES.has(response?.status ?? 0)) {
        if (response === undefined) throw failure;
        throw new Error(
          `Cannot send message: the server answered ${response.status} ${
            JSON.stringify(truncate(text, 100))
          }`,
        );
      }
      await this.#pause(backoffDelay(attempt, 250, 2000));
    }
  }

  /** Waits `ms`, or rejects once the client closes. */
  #pause(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const signal = this.#signal;
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        if (signal.aborted) {
          reject(new Error("Cannot send message: the client is closed"));
        } else resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done);
    });
  }
}
