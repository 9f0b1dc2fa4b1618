// graphql-codegen: types for the operations in src/operations.ts (its `/* GraphQL */`
// strings), checked against the API's checked-in schema. `npm run codegen` writes
// src/generated/graphql.ts (committed); `npm run codegen:check` fails when that file is not
// what the schema and the operations give.
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: '../../schema.graphql',
  documents: ['src/operations.ts'],
  generates: {
    'src/generated/graphql.ts': {
      plugins: ['typescript-operations'],
      config: {
        // Every custom scalar must be mapped here: an unmapped one fails codegen.
        strictScalars: true,
        scalars: { DateTime: 'string' },
        defaultScalarType: 'unknown',
      },
    },
  },
};

export default config;
