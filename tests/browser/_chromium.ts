// Copyright 2026 the serverpush authors. MIT license.

/**
 * Harness for the Chromium end-to-end tests: finds Debian's Chromium,
 * launches it headless through `playwright-core` with a fresh profile, and
 * registers tests that are ignored (with a reason) where Chromium is absent.
 *
 * ```ts ignore
 * import { browserTest } from "./_chromium.ts";
 *
 * browserTest("EventSource receives events", async ({ page }) => {
 *   await page.goto("http://127.0.0.1:8000/");
 * });
 * ```
 *
 * @module
 */

import { type BrowserContext, chromium, type Page } from "playwright-core";

/** Where Debian's `chromium` package installs the browser. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/** Command-line switches for a quiet, deterministic headless Chromium. */
export const CHROMIUM_ARGS: readonly string[] = Object.freeze([
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-sync",
  "--disable-quic",
]);

/**
 * Why browser tests cannot run here, or `undefined` if they can.
 *
 * @returns A one-line reason, e.g. `/usr/bin/chromium not found`.
 */
export function chromiumSkipReason(): string | undefined {
  try {
    const info = Deno.statSync(CHROMIUM_PATH);
    return info.isFile ? undefined : `${CHROMIUM_PATH} is not a file`;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      return `${CHROMIUM_PATH} not found`;
    }
    if (error instanceof Deno.errors.NotCapable) {
      return `no read permission for ${CHROMIUM_PATH}`;
    }
    throw error;
  }
}

/** A launched browser with one page, in a throw-away profile. */
export interface ChromiumSession {
  /** The persistent context (one per profile directory). */
  readonly context: BrowserContext;
  /** A page opened in the context. */
  readonly page: Page;
  /** Errors thrown by page scripts (`pageerror` events), in order. */
  readonly pageErrors: readonly Error[];
  /** Closes the browser and deletes the profile directory. */
  close(): Promise<void>;
  /** Same as {@linkcode ChromiumSession.close}. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Options for {@linkcode launchChromium}. */
export interface LaunchChromiumOptions {
  /**
   * Page viewport in CSS pixels.
   *
   * @default {{ width: 1200, height: 900 }}
   */
  viewport?: { width: number; height: number };
  /**
   * Switches added to {@linkcode CHROMIUM_ARGS}, such as
   * `--ignore-certificate-errors`.
   *
   * @default {[]}
   */
  args?: readonly string[];
}

/**
 * Launches headless Chromium with a fresh, temporary profile directory.
 *
 * @param options Viewport size.
 * @returns The session; close it in a `finally` (or with `await using`).
 */
export async function launchChromium(
  options: LaunchChromiumOptions = {},
): Promise<ChromiumSession> {
  const profile = await Deno.makeTempDir({ prefix: "serverpush-chromium-" });
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_ARGS, ...(options.args ?? [])],
      viewport: options.viewport ?? { width: 1200, height: 900 },
      // Playwright's own signal handlers would outlive the test.
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
    });
  } catch (error) {
    await Deno.remove(profile, { recursive: true });
    throw error;
  }
  const pageErrors: Error[] = [];
  let page: Page;
  try {
    page = context.pages()[0] ?? await context.newPage();
  } catch (error) {
    await context.close();
    await Deno.remove(profile, { recursive: true });
    throw error;
  }
  page.on("pageerror", (error) => pageErrors.push(error));
  let closing: Promise<void> | undefined;
  function close(): Promise<void> {
    closing ??= (async () => {
      try {
        await context.close();
      } finally {
        await Deno.remove(profile, { recursive: true });
      }
    })();
    return closing;
  }
  return {
    context,
    page,
    pageErrors,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * Registers a `Deno.test` that runs `fn` with a fresh Chromium session and
 * always closes it. Where Chromium is absent the test is registered as
 * ignored; the caller prints the reason ({@linkcode chromiumSkipReason}).
 *
 * @param name Test name, "<Symbol> <observable behaviour>".
 * @param fn The test body.
 * @param options `ignore`: also ignore it for another reason (which the
 * caller prints).
 */
export function browserTest(
  name: string,
  fn: (session: ChromiumSession) => Promise<void>,
  options: { ignore?: boolean } = {},
): void {
  Deno.test({
    name,
    ignore: chromiumSkipReason() !== undefined || options.ignore === true,
    async fn(): Promise<void> {
      const session = await launchChromium();
      try {
        await fn(session);
      } finally {
        await session.close();
      }
    },
  });
}
