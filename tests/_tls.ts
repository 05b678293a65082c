// Copyright 2026 the serverpush authors. MIT license.

/**
 * TLS material for tests: a certificate for localhost and 127.0.0.1 signed
 * by a throwaway CA, made by openssl (rustls, under Deno's fetch, refuses a
 * CA used as the server's own certificate).
 *
 * @module
 */

/** PEM texts of a test certificate; `ca` is what a client trusts. */
export interface TestCertificate {
  ca: string;
  cert: string;
  key: string;
}

/** Whether `openssl` runs on this machine. */
export function hasOpenssl(): Promise<boolean> {
  return new Deno.Command("openssl", {
    args: ["version"],
    stdout: "null",
    stderr: "null",
  }).output().then((o) => o.success, () => false);
}

/** Makes a CA and a certificate it signs, valid for one day. */
export async function testCertificate(): Promise<TestCertificate> {
  const dir = await Deno.makeTempDir({ prefix: "serverpush-tls-" });
  async function openssl(args: string[]): Promise<void> {
    const output = await new Deno.Command("openssl", {
      args,
      cwd: dir,
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!output.success) {
      throw new Error(new TextDecoder().decode(output.stderr));
    }
  }
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];
  try {
    await Deno.writeTextFile(
      `${dir}/leaf.ext`,
      "basicConstraints=critical,CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n",
    );
    await openssl([
      "req",
      "-x509",
      ...ec,
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=test CA",
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
    ]);
    await openssl([
      "req",
      ...ec,
      "-nodes",
      "-subj",
      "/CN=localhost",
      "-keyout",
      "key.pem",
      "-out",
      "leaf.csr",
    ]);
    await openssl([
      "x509",
      "-req",
      "-in",
      "leaf.csr",
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-days",
      "1",
      "-extfile",
      "leaf.ext",
      "-out",
      "cert.pem",
    ]);
    return {
      ca: await Deno.readTextFile(`${dir}/ca.pem`),
      cert: await Deno.readTextFile(`${dir}/cert.pem`),
      key: await Deno.readTextFile(`${dir}/key.pem`),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
