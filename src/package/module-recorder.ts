/**
 * `node --import ./module-recorder.js ...`: reports the modules a process loads on stderr, one
 * `advx-module URL` line each: ES modules as they resolve (module-recorder-hooks.ts), and at exit the
 * CommonJS modules in the require cache (which the resolve hook does not see on Node 20).
 */
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';

register('./module-recorder-hooks.js', import.meta.url);

process.on('exit', () => {
  const cache = createRequire(import.meta.url).cache;
  for (const file of Object.keys(cache)) process.stderr.write(`advx-module ${pathToFileURL(file).href}\n`);
});
