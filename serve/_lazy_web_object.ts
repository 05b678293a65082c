// Copyright 2026 the serverpush authors. MIT license.
// Private: the plumbing of objects that stand for a web `Request` or
// `Response` without being one until they must (`_node_request.ts`,
// `_node_upgrade_response.ts`): their prototype's prototype is the web
// class's, so `instanceof` holds, they answer the common properties
// themselves, and every other property of the web class (methods, getters,
// and the internal symbols the runtime's own code reads, such as `new
// Request(request)` or `fetch(request)` do) goes to a real object made
// once, on first use.

/** A web class whose instances a lazy object stands for. */
// deno-lint-ignore no-explicit-any
type WebClass = abstract new (...args: any[]) => object;

/**
 * Makes every property of `web.prototype` that `proto` does not define
 * itself, and every own symbol property of `sample` (an instance of
 * `web`: the runtime's internal slots), go to `realOf(this)`. Sets
 * `proto`'s prototype to `web.prototype` and its `constructor` to `web`.
 */
export function delegateToReal<T extends object>(
  proto: T,
  web: WebClass,
  sample: object,
  realOf: (self: T) => object,
): void {
  Object.setPrototypeOf(proto, web.prototype);
  Object.defineProperty(proto, "constructor", {
    value: web,
    writable: true,
    configurable: true,
  });
  for (const key of Reflect.ownKeys(web.prototype)) {
    if (Object.hasOwn(proto, key) || key === Symbol.toStringTag) continue;
    const { value } = Object.getOwnPropertyDescriptor(web.prototype, key)!;
    if (typeof value === "function") {
      Object.defineProperty(proto, key, {
        value: function (this: T, ...args: unknown[]): unknown {
          const real = realOf(this) as Record<string | symbol, unknown>;
          return (real[key] as (...args: unknown[]) => unknown).apply(
            real,
            args,
          );
        },
        writable: true,
        configurable: true,
      });
    } else {
      forward(proto, key, realOf);
    }
  }
  for (const key of Object.getOwnPropertySymbols(sample)) {
    if (!Object.hasOwn(proto, key)) forward(proto, key, realOf);
  }
}

/** Makes `proto[key]` read and write `realOf(this)[key]`. */
function forward<T extends object>(
  proto: T,
  key: string | symbol,
  realOf: (self: T) => object,
): void {
  Object.defineProperty(proto, key, {
    get(this: T): unknown {
      return (realOf(this) as Record<string | symbol, unknown>)[key];
    },
    set(this: T, value: unknown): void {
      (realOf(this) as Record<string | symbol, unknown>)[key] = value;
    },
    configurable: true,
  });
}
