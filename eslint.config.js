// Lint: eslint's and typescript-eslint's type-checked recommended rules; CI fails on any error.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'bench/out/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', name: ['test', 'describe', 'it', 'suite'], package: 'node:test' }] },
      ],
    },
  },
  {
    // These stores are synchronous inside but implement the async Store interface: `async`
    // is what turns their throws (conflicts, a closed store) into rejections, as it promises.
    files: ['src/store/memory.ts', 'src/store/sqlite.ts'],
    rules: { '@typescript-eslint/require-await': 'off' },
  },
  // Plain .js files (this config) are outside tsconfig: lint them without types.
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
);
