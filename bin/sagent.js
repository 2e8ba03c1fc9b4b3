#!/usr/bin/env node
// The `sagent` CLI. In this repository it runs the TypeScript source through tsx, so there is no build step to
// forget; in an installed package it runs the compiled dist/ and needs no tsx.
const fs = require('node:fs');
const path = require('node:path');

const source = path.join(__dirname, '..', 'src', 'cli', 'main.ts');
if (fs.existsSync(source)) {
  require('tsx/cjs');
  require(source).runAsScript(process.argv);
} else {
  require('../dist/cli/main.js').runAsScript(process.argv);
}
