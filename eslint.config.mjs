// The lint tools are installed in tools/lint (see the config there for why).
export { default } from './tools/lint/eslint.config.mjs';
