// deploy/container's health check is plain Node ESM (.mjs, no compile step), outside tsconfig.json: lint it with the project's
// rules minus the type-aware ones, which need a TypeScript project.
import tseslint from 'typescript-eslint';
import root from '../../eslint.config.js';

const nodeGlobals = Object.fromEntries(
  [
    'process',
    'console',
    'setTimeout',
    'clearTimeout',
    'setInterval',
    'clearInterval',
    'Buffer',
    'fetch',
    'AbortSignal',
    'URL',
    'performance',
  ].map((name) => [name, 'readonly']),
);

export default tseslint.config(...root, {
  files: ['**/*.mjs'],
  ...tseslint.configs.disableTypeChecked,
  languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: nodeGlobals },
});
