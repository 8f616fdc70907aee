#!/usr/bin/env node
// Thin launcher: the CLI is compiled from src/ to dist/ by `npm ci` (the `prepare` script).
import('../dist/src/cli/index.js')
  .then((cli) => cli.main(process.argv))
  .catch((err) => {
    if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/src/cli')) {
      console.error('ssl-bench: the TypeScript sources are not compiled yet; run `npm ci` (or `npm run build`) in the ssl-bench folder.');
    } else {
      console.error(err);
    }
    process.exit(1);
  });
