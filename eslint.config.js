// Lint rules: typescript-eslint's recommended type-aware set, plus no floating promises
// (an un-awaited fsync or rename is exactly the bug this project must not have).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Plain Node ESM helpers (bench/, deploy/debian/, deploy/container/: .mjs, no compile step) are outside
// tsconfig.json: the same rules minus the type-aware ones, which need a TypeScript project.
const nodeGlobals = Object.fromEntries(
  [
    'process',
    'console',
    'setTimeout',
    'clearTimeout',
    'setInterval',
    'clearInterval',
    'Buffer',
    'URL',
    'performance',
    'fetch',
    'AbortSignal',
  ].map((name) => [name, 'readonly']),
);

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'node_modules/',
      '.runtime/',
      'coverage/',
      'test/vectors/',
      'eslint.config.js',
      '.dependency-cruiser.cjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
    },
  },
  {
    files: ['**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: nodeGlobals },
  },
);
