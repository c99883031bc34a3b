/** @jest-config-loader-options {"transpileOnly": true} */
import type { Config } from 'jest';

// Type errors are not reported by ts-jest under `isolatedModules`; `npm run typecheck` (tsc) covers them.
const project = (displayName: string, tsconfig: string, testMatch: string[], ignore: string[] = []) => ({
  displayName,
  testEnvironment: 'node',
  roots: ['<rootDir>/spec'],
  testMatch,
  testPathIgnorePatterns: ['/node_modules/', ...ignore],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig }] as [string, Record<string, unknown>] },
});

const config: Config = {
  projects: [
    project('views', 'tsconfig.json', ['**/*.spec.ts'], ['/spec/standard-decorators/']),
    // Decorators must work under TC39 standard decorators too: this folder compiles without experimentalDecorators.
    project('standard-decorators', 'spec/standard-decorators/tsconfig.json', ['<rootDir>/spec/standard-decorators/**/*.spec.ts']),
  ],
};

export default config;
