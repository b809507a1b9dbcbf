// The README's JS SDK snippet, run as written: it is read from README.md at test time (the
// first ```js block), its ports replaced by the host's, and run as its own module, so the
// README cannot drift from what the SDK does against the host. It saves over gRPC and reads
// back over HTTP; the dapr-js-state and dapr-js-http tests cover the same calls in depth.
//
//   PLUGHOST_PORT, DAPR_HTTP_PORT  the host's gRPC and HTTP ports on 127.0.0.1 (required)
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const here = dirname(fileURLToPath(import.meta.url));
const readme = readFileSync(join(here, "..", "..", "..", "README.md"), "utf8");

test("the README's JS SDK snippet (gRPC and HTTP) runs against the host as written", async () => {
  const block = /```js\n([\s\S]*?)```/.exec(readme);
  assert.ok(block, "README.md has a ```js block");
  const snippet = block[1];
  // The README names daprd's default ports; the test's host listens on free ones.
  assert.match(snippet, /daprPort: "50001"/);
  assert.match(snippet, /daprPort: "3500"/);
  assert.match(snippet, /CommunicationProtocolEnum\.GRPC/);
  assert.match(snippet, /CommunicationProtocolEnum\.HTTP/);
  const source = snippet
    .replace(/daprPort: "50001"/g, `daprPort: "${process.env.PLUGHOST_PORT}"`)
    .replace(/daprPort: "3500"/g, `daprPort: "${process.env.DAPR_HTTP_PORT}"`);
  // Inside this folder, so that "@dapr/dapr" resolves to the pinned SDK.
  const file = join(here, `readme-snippet-${process.pid}.mjs`);
  writeFileSync(file, source);
  try {
    // The SDK's clients keep the process alive; the snippet's last line is what it prints.
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--input-type=module", "-e", `await import(${JSON.stringify(file)}); process.exit(0);`],
      { cwd: here, timeout: 60_000 },
    );
    const lines = stdout.trim().split("\n");
    assert.equal(lines[lines.length - 1], "v");
  } finally {
    rmSync(file, { force: true });
  }
});
