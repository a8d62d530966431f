/**
 * Import rules checked in CI (`npm run lint:deps`): no cycles between files, and each folder of src/
 * imports only from the folders below it (docs/ARCHITECTURE.md has the picture):
 *
 *   cli → config → audit, seal, restore, replicate → store → parallel → files, snapshots → keys, observe → format, io, util
 */
const layers = {
  cli: ['cli'],
  config: ['config'],
  audit: ['audit'],
  seal: ['seal'],
  restore: ['restore'],
  replicate: ['replicate'],
  store: ['store'],
  parallel: ['parallel'],
  files: ['files'],
  snapshots: ['snapshots'],
  keys: ['keys'],
  observe: ['observe'],
  format: ['format'],
  io: ['io'],
  util: ['util'],
};
// Which folders each folder must never import (everything above it, and its peers where it matters).
const above = {
  config: ['cli'],
  audit: ['cli', 'config', 'seal', 'restore'],
  seal: ['cli', 'config', 'audit', 'restore', 'replicate'],
  restore: ['cli', 'config', 'audit', 'seal', 'replicate'],
  // watch --copy-to: only the CLI wires it; the watcher knows nothing but a callback.
  replicate: ['cli', 'config', 'audit', 'seal', 'restore'],
  store: ['cli', 'config', 'audit', 'seal', 'restore', 'replicate'],
  parallel: ['cli', 'config', 'audit', 'seal', 'restore', 'replicate', 'store'],
  files: ['cli', 'config', 'audit', 'seal', 'restore', 'replicate', 'store', 'parallel', 'snapshots'],
  snapshots: ['cli', 'config', 'audit', 'seal', 'restore', 'replicate', 'store', 'parallel', 'files', 'keys'],
  keys: [
    'cli',
    'config',
    'audit',
    'seal',
    'restore',
    'replicate',
    'store',
    'parallel',
    'files',
    'snapshots',
    'observe',
  ],
  observe: [
    'cli',
    'config',
    'audit',
    'seal',
    'restore',
    'replicate',
    'store',
    'parallel',
    'files',
    'snapshots',
    'keys',
  ],
  format: [
    'cli',
    'config',
    'audit',
    'seal',
    'restore',
    'replicate',
    'store',
    'parallel',
    'files',
    'snapshots',
    'keys',
    'observe',
    'io',
  ],
  io: [
    'cli',
    'config',
    'audit',
    'seal',
    'restore',
    'replicate',
    'store',
    'parallel',
    'files',
    'snapshots',
    'keys',
    'observe',
    'format',
  ],
  util: Object.keys(layers).filter((l) => l !== 'util'),
};

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle makes the layers meaningless and the load order fragile.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    ...Object.entries(above).map(([from, forbidden]) => ({
      name: `layer-${from}`,
      severity: 'error',
      comment: `src/${from}/ sits below ${forbidden.join(', ')}: it must not import them`,
      from: { path: `^src/${from}/` },
      to: { path: `^src/(${forbidden.join('|')})/` },
    })),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
