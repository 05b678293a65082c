// Copyright 2026 the serverpush authors. MIT license.

import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { acceptLoop, type Acceptor } from "../../_internal/accept_loop.ts";

interface FakeConn {
  name: string;
  closed: boolean;
  close(): void;
}

function fakeConn(name: string): FakeConn {
  return {
    name,
    closed: false,
    close() {
      this.closed = true;
    },
  };
}

function osError(code: string): Error {
  return Object.assign(new Error(`${code} (os error)`), { code });
}

function closedError(): Error {
  const error = new Error("Bad resource ID");
  error.name = "BadResource";
  return error;
}

/** A listener whose accept() answers with the given steps, in order. */
function scripted(steps: (FakeConn | Error)[]): Acceptor<FakeConn> {
  return {
    accept(): Promise<FakeConn> {
      const step = steps.shift() ?? closedError();
      return step instanceof Error
        ? Promise.reject(step)
        : Promise.resolve(step);
    },
  };
}

Deno.test("acceptLoop rides out transient accept errors and keeps accepting", async () => {
  const a = fakeConn("a");
  const b = fakeConn("b");
  const accepted: string[] = [];
  const errors: string[] = [];
  await acceptLoop(
    scripted([
      osError("EMFILE"),
      osError("ENFILE"),
      a,
      osError("ECONNABORTED"),
      osError("ENOBUFS"),
      b,
      closedError(),
    ]),
    {
      onConnection: (conn) => accepted.push(conn.name),
      onError: (error) => errors.push((error as { code: string }).code),
      signal: new AbortController().signal,
    },
  );
  deepStrictEqual(accepted, ["a", "b"]);
  deepStrictEqual(errors, ["EMFILE", "ENFILE", "ECONNABORTED", "ENOBUFS"]);
});

Deno.test("acceptLoop ends during a backoff wait when its signal is aborted", async () => {
  const controller = new AbortController();
  const errors: unknown[] = [];
  // Fails forever: the waits grow, and abort must end the current one.
  const listener: Acceptor<FakeConn> = {
    accept: () => Promise.reject(osError("EMFILE")),
  };
  const done = acceptLoop(listener, {
    onConnection: () => {
      throw new Error("no connection expected");
    },
    onError: (error) => {
      errors.push(error);
      if (errors.length === 3) controller.abort();
    },
    signal: controller.signal,
  });
  await done;
  strictEqual(errors.length, 3);
});

Deno.test("acceptLoop closes a connection accepted after its signal was aborted", async () => {
  const controller = new AbortController();
  const late = fakeConn("late");
  const listener: Acceptor<FakeConn> = {
    accept(): Promise<FakeConn> {
      controller.abort();
      return Promise.resolve(late);
    },
  };
  await acceptLoop(listener, {
    onConnection: () => {
      throw new Error("no connection expected");
    },
    signal: controller.signal,
  });
  strictEqual(late.closed, true);
});
