// Jest environment shared by every package: Node's environment, plus the host realm's typed-array and
// ArrayBuffer constructors inside the sandbox. Native addons (onnxruntime-node) check
// `instanceof Float32Array` against the host realm and reject arrays created with the sandbox's own
// constructors; this fixes that once for all tests.
const { TestEnvironment } = require('jest-environment-node');

const HOST_CONSTRUCTORS = [
  'ArrayBuffer',
  'SharedArrayBuffer',
  'DataView',
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
];

class DferTestEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of HOST_CONSTRUCTORS) this.global[name] = globalThis[name];
  }
}

module.exports = DferTestEnvironment;
