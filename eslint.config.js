// Strict, type-aware linting (typescript-eslint strict-type-checked), plus the one architectural
// rule that makes the deterministic simulator possible: only src/runtime/ touches the real clock,
// real randomness and real timers (STYLE.md practice 3).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const injectedOnly = 'is injected: use the Clock/Random from src/runtime (STYLE.md practice 3)';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'reports/**', 'var/**', 'bin/**', 'scripts/**', 'eslint.config.js', 'shard-master/dashboard/public/vendor/**'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/no-unnecessary-condition': ['error', { allowConstantLoopConditions: true }],
      '@typescript-eslint/no-confusing-void-expression': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    files: ['src/**/*.ts', 'shard-master/**/*.ts'],
    ignores: ['src/runtime/**'],
    rules: {
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: `Date.now ${injectedOnly}` },
        { object: 'Math', property: 'random', message: `Math.random ${injectedOnly}` },
        { object: 'performance', property: 'now', message: `performance.now ${injectedOnly}` },
      ],
      'no-restricted-globals': ['error',
        { name: 'setTimeout', message: `setTimeout ${injectedOnly}` },
        { name: 'setInterval', message: `setInterval ${injectedOnly}` },
        { name: 'setImmediate', message: `setImmediate ${injectedOnly}` },
      ],
      'no-restricted-syntax': ['error',
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: `new Date() ${injectedOnly}` },
      ],
    },
  },
  {
    // The dashboard's page: plain ES modules run by the browser as they are (no build step), so
    // linted without type information, against the browser's globals.
    files: ['shard-master/dashboard/public/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      sourceType: 'module',
      globals: Object.fromEntries(['window', 'document', 'fetch', 'sessionStorage', 'AbortController', 'Node', 'setTimeout', 'clearTimeout'].map((name) => [name, 'readonly'])),
    },
  },
  {
    files: ['test/**/*.ts', 'load/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-floating-promises': 'error',
    },
  },
);
