import type { CodegenConfig } from '@graphql-codegen/cli';

// Typed documents for every `graphql(...)` call under src/, checked against the server's
// schema. `npm run build` and `npm test` run this first, so a schema change that breaks a
// query fails right here (unknown field, wrong argument) or in `tsc` (changed types).
const config: CodegenConfig = {
  schema: '../schema.graphql',
  documents: ['src/**/*.{ts,tsx}', '!src/gql/**/*'],
  ignoreNoDocuments: false,
  generates: {
    './src/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        enumsAsTypes: true,
        useTypeImports: true,
        strictScalars: true,
        scalars: { DateTime: 'string' },
        avoidOptionals: { field: true, inputValue: false, object: true, defaultValue: false },
      },
    },
    // Every enum of the schema, used by documents or not: `ErrorCode`, the catalogue of
    // `extensions.code` values, reaches the app from the server's code this way rather
    // than as a hand-kept list (see src/api/errors.ts).
    './src/gql/enums.ts': {
      plugins: ['typescript'],
      config: { onlyEnums: true, enumsAsTypes: true },
    },
  },
};

export default config;
