#!/usr/bin/env node
// The `sagent` CLI: runs the TypeScript source through tsx, so there is no build step to forget.
require('tsx/cjs');
require('../src/cli/main.ts').runAsScript(process.argv);
