#!/usr/bin/env node
// The `dfer` command. A file that exists before the build, so package managers can link the bin at install
// time; it runs the built CLI (dist/cli.js).
let cli;
try {
  cli = require('../dist/cli.js');
} catch (error) {
  if (error && error.code === 'MODULE_NOT_FOUND' && String(error.message).includes('dist/cli.js')) {
    console.error(
      'dfer: @dfer/trainer is not built (dist/cli.js is missing); in a clone run `npm run setup` first',
    );
    process.exit(1);
  }
  throw error;
}
cli.runCli(process.argv);
