// Copyright 2026 the serverpush authors. MIT license.

/**
 * Runs Debian's nginx on loopback with the configuration of
 * `docs/deploying.md`: the doc's `nginx` block, with its addresses,
 * certificate paths and the run's files (pid, logs, temporary folders)
 * replaced, in a temporary folder; nginx runs in the foreground and is
 * stopped by its pid. Also makes a throwaway self-signed certificate with
 * openssl.
 *
 * @module
 */

import { ok } from "node:assert/strict";

/** Where Debian's `nginx` package installs the server. */
export const NGINX_PATH = "/usr/sbin/nginx";

const DOC = new URL("../../docs/deploying.md", import.meta.url);

/**
 * Why nginx tests cannot run here, or `undefined` if they can.
 *
 * @returns A one-line reason.
 */
export function nginxSkipReason(): string | undefined {
  try {
    Deno.statSync(NGINX_PATH);
  } catch {
    return `${NGINX_PATH} not found (apt-get install nginx)`;
  }
  try {
    new Deno.Command("openssl", { args: ["version"] }).outputSync();
  } catch {
    return "openssl not found";
  }
  return undefined;
}

/** The one `nginx` code block of docs/deploying.md. */
export async function docConfig(): Promise<string> {
  const text = await Deno.readTextFile(DOC);
  const blocks = [...text.matchAll(/^```nginx\n([\s\S]*?)^```$/gm)];
  ok(
    blocks.length === 1,
    `docs/deploying.md has ${blocks.length} nginx blocks`,
  );
  return blocks[0]![1]!;
}

/** Replaces `from` by `to` in `text`, which must hold it exactly once. */
function replaceOnce(text: string, from: string, to: string): string {
  const count = text.split(from).length - 1;
  ok(count === 1, `the doc's nginx block holds "${from}" ${count} times`);
  return text.replace(from, () => to);
}

/** What {@linkcode nginxConfig} puts in place of the doc's values. */
export interface NginxConfigOptions {
  /** The app's port (the doc's 127.0.0.1:8000). */
  upstreamPort: number;
  /** The port nginx listens on, on 127.0.0.1 (the doc's 443). */
  listenPort: number;
  /** The certificate and key files. */
  cert: string;
  key: string;
  /** A folder for the pid file, the logs and the temporary files. */
  dir: string;
}

/**
 * The doc's configuration with the test's addresses and files.
 *
 * @param doc The doc's block ({@linkcode docConfig}).
 * @param o Ports, certificate and folder.
 * @returns The configuration to run.
 */
export function nginxConfig(doc: string, o: NginxConfigOptions): string {
  let config = doc;
  config = replaceOnce(
    config,
    "server 127.0.0.1:8000;",
    `server 127.0.0.1:${o.upstreamPort};`,
  );
  config = replaceOnce(
    config,
    "listen 443 ssl http2;",
    `listen 127.0.0.1:${o.listenPort} ssl http2;`,
  );
  config = replaceOnce(
    config,
    "server_name example.com;",
    "server_name localhost;",
  );
  config = replaceOnce(config, "/etc/ssl/certs/example.com.pem", o.cert);
  config = replaceOnce(config, "/etc/ssl/private/example.com.key", o.key);
  // Two workers at most on a shared test machine.
  config = replaceOnce(
    config,
    "worker_processes auto;",
    "worker_processes 1;",
  );
  // The run's own files, instead of /var/log/nginx and /var/lib/nginx.
  config = replaceOnce(
    config,
    "http {\n",
    `http {
    access_log ${o.dir}/access.log;
    client_body_temp_path ${o.dir}/body;
    proxy_temp_path ${o.dir}/proxy;
    fastcgi_temp_path ${o.dir}/fastcgi;
    uwsgi_temp_path ${o.dir}/uwsgi;
    scgi_temp_path ${o.dir}/scgi;
`,
  );
  return `daemon off;
pid ${o.dir}/nginx.pid;
error_log ${o.dir}/error.log warn;
${Deno.uid() === 0 ? "user root root;\n" : ""}${config}`;
}

/** A running nginx. */
export interface Nginx extends AsyncDisposable {
  /** The master process. */
  readonly process: Deno.ChildProcess;
  /** Stops nginx by its pid (SIGTERM: fast shutdown) and waits for it. */
  stop(): Promise<void>;
}

/**
 * Starts nginx in the foreground with `config` written to `dir`, after
 * `nginx -t` accepts it, and waits until it answers on `port`.
 *
 * @param config The configuration ({@linkcode nginxConfig}).
 * @param dir The folder of the run.
 * @param port The port it listens on.
 * @returns The running nginx.
 */
export async function startNginx(
  config: string,
  dir: string,
  port: number,
): Promise<Nginx> {
  const file = `${dir}/nginx.conf`;
  await Deno.writeTextFile(file, config);
  const args = ["-p", dir, "-e", `${dir}/error.log`, "-c", file];
  const check = await new Deno.Command(NGINX_PATH, {
    args: ["-t", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  ok(
    check.success,
    `nginx -t refused the configuration:\n${
      new TextDecoder().decode(check.stderr)
    }`,
  );
  const child = new Deno.Command(NGINX_PATH, {
    args,
    stdin: "null",
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  let stopping: Promise<void> | undefined;
  function stop(): Promise<void> {
    stopping ??= (async () => {
      try {
        child.kill("SIGTERM");
      } catch {
        // Already gone.
      }
      await child.status;
    })();
    return stopping;
  }
  // Wait until it accepts connections.
  for (let attempt = 0;; attempt++) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      break;
    } catch (error) {
      if (attempt > 200) {
        await stop();
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
  return { process: child, stop, [Symbol.asyncDispose]: stop };
}

/**
 * Makes a self-signed certificate for `localhost` and 127.0.0.1, valid one
 * day, in `dir`.
 *
 * @param dir The folder.
 * @returns The certificate and key paths.
 */
export async function makeCertificate(
  dir: string,
): Promise<{ cert: string; key: string }> {
  const cert = `${dir}/cert.pem`;
  const key = `${dir}/key.pem`;
  const result = await new Deno.Command("openssl", {
    args: [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=DNS:localhost,IP:127.0.0.1",
      // A server certificate, not a CA: rustls (Deno's fetch) insists.
      "-addext",
      "basicConstraints=critical,CA:FALSE",
      "-addext",
      "extendedKeyUsage=serverAuth",
      "-keyout",
      key,
      "-out",
      cert,
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  ok(result.success, new TextDecoder().decode(result.stderr));
  return { cert, key };
}

/** A free TCP port on 127.0.0.1 (free when this returns). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}
