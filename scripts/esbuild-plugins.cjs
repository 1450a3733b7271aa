/**
 * esbuild plugins for `serverless package` (serverless-esbuild loads this file: custom.esbuild.plugins).
 *
 * `sdkSchemaKeys`: the AWS SDK v3 clients describe every shape of their service in one generated
 * module (`dist-es/schemas/schemas_0.js`, 1.3 MB for EC2), as arrays whose objects use computed keys
 * (`{ [_xN]: _ZN }`, where `const _xN = "xmlName"`). A computed key could run code, so esbuild
 * keeps every one of those arrays, used or not, and each function carried all of EC2's shapes.
 * This plugin writes those keys out as the string literals they are, which changes nothing at run
 * time and lets esbuild drop the shapes of commands the function never sends.
 * test/build/sdk-schema-keys.test.ts checks that requests serialize byte for byte as before.
 */
'use strict';
const { readFile } = require('node:fs/promises');

/** Top-level `const _x = "literal";` declarations of a generated schema module. */
const CONSTANT = /^const (_\w+) = ("[^"\\\n]*");$/gm;
/** A computed key right after `{` or `,`: the only place the generator writes them. */
const COMPUTED_KEY = /([{,]\s*)\[(_\w+)\]:/g;

/** Rewrites computed keys whose name is a string constant of the same module; leaves anything else alone. */
function inlineSchemaKeys(source) {
  const constants = new Map([...source.matchAll(CONSTANT)].map((m) => [m[1], m[2]]));
  return source.replace(COMPUTED_KEY, (whole, before, name) => (constants.has(name) ? `${before}${constants.get(name)}:` : whole));
}

const sdkSchemaKeys = {
  name: 'sdk-schema-keys',
  setup(build) {
    build.onLoad({ filter: /[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/ }, async (args) => ({
      contents: inlineSchemaKeys(await readFile(args.path, 'utf8')),
      loader: 'js',
    }));
  },
};

module.exports = [sdkSchemaKeys];
module.exports.inlineSchemaKeys = inlineSchemaKeys;
