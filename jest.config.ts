/** @jest-config-loader-options {"transpileOnly": true} */
import type { Config } from 'jest';

// Type errors are not reported by ts-jest under `isolatedModules`; `npm run typecheck` (tsc) covers them.
const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/spec'],
  testMatch: ['**/*.spec.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
};

export default config;
