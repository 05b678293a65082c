// Copyright 2026 the serverpush authors. MIT license.
// This module is browser compatible.
// Private: `PushClient.send`, over the open WebSocket or with a `POST`.

import { encodeBase64 } from "../_internal/base64.ts";
import { truncate } from "../_internal/truncate.ts";
import type { ConnectSettings } from "./_connect_settings.ts";
import type { PushSendOptions } from "./push_client.ts";

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
    if (typeof data !== "string" && !(data instanceof Uint8Array)) {
      return Promise.reject(
        new TypeError(
          "Cannot send message: data is not a string or a Uint8Array",
        ),
      );
    }
    const { event } = options;
    if (event !== undefined && typeof event !== "string") {
      return Promise.reject(
        new TypeError("Cannot send message: event is not a string"),
      );
    }
    if (this.#signal.aborted) {
      return Promise.reject(
        new Error("Cannot send message: the client is closed"),
      );
    }
    if (this.#settings.publishOverWebSocket && this.#sender !== undefined) {
      const frame: Record<string, string> = typeof data === "string"
        ? { data }
        : { data: encodeBase64(data), encoding: "base64" };
      if (event !== undefined) frame.event = event;
      try {
        this.#sender(JSON.stringify(frame));
        return Promise.resolve();
      } catch (error) {
        return Promise.reject(error);
      }
    }
    const sending = this.#post(data, event);
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
    const response = await this.#settings.fetch(target, {
      method: "POST",
      headers,
      body: typeof data === "string" ? data : new Uint8Array(data),
      signal: this.#signal,
    });
    const text = await response.text();
    if (!response.ok) {
      throw new Error(
        `Cannot send message: the server answered ${response.status} ${
          JSON.stringify(truncate(text, 100))
        }`,
      );
    }
  }
}
