/**
 * ONNX models with external data: loaded from their path with the data file beside them, while every
 * external location stays inside the model's folder. Also: model and safetensors files must be regular
 * files (FIFOs and devices are refused before reading).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';
import { createSession, loadSafetensors, readOnnxModelInfo, runSession } from '@dfer/runtime';

const dir = mkdtempSync(join(tmpdir(), 'dfer-onnx-external-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** W = [[1, 2], [3, 4], [5, 6], [7, 8]] (row-major float32), stored after `offset` bytes of padding. */
const W = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]);

/** Y = X · W, with W an initializer whose data lies in `location` at `offset`. */
function externalModel(location: string, offset = 0, length = W.byteLength): Uint8Array {
  const valueInfo = (name: string, dims: number[]): onnx.IValueInfoProto => ({
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: dims.map((d) => ({ dimValue: d })) },
      },
    },
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    producerName: 'dfer-test',
    graph: {
      name: 'external',
      input: [valueInfo('X', [1, 4])],
      output: [valueInfo('Y', [1, 2])],
      node: [{ opType: 'MatMul', input: ['X', 'W'], output: ['Y'], name: 'matmul' }],
      initializer: [
        {
          name: 'W',
          dims: [4, 2],
          dataType: onnx.TensorProto.DataType.FLOAT,
          dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
          externalData: [
            { key: 'location', value: location },
            { key: 'offset', value: String(offset) },
            { key: 'length', value: String(length) },
          ],
        },
      ],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

function writeModel(folder: string, location: string, offset = 0): string {
  mkdirSync(folder, { recursive: true });
  const path = join(folder, 'model.onnx');
  writeFileSync(path, externalModel(location, offset));
  return path;
}

const weightBytes = (padding = 0): Buffer => Buffer.concat([Buffer.alloc(padding), Buffer.from(W.buffer)]);

it('a model with its external data file beside it loads and computes X·W (hand-computed)', async () => {
  const folder = join(dir, 'ok');
  const path = writeModel(folder, 'weights.bin', 16);
  writeFileSync(join(folder, 'weights.bin'), weightBytes(16));
  expect(readOnnxModelInfo(externalModel('weights.bin', 16), 'm').externalData).toEqual([
    { tensor: 'W', location: 'weights.bin', offset: 16, length: 32 },
  ]);
  const session = await createSession(path);
  const out = await runSession(session, { X: { data: Float32Array.from([1, 0, -1, 2]), dims: [1, 4] } });
  // [1, 0, -1, 2] · W = [1 − 5 + 14, 2 − 6 + 16]
  expect(Array.from(out.Y!.data)).toEqual([10, 12]);
  await session.release();
  const sub = join(dir, 'sub');
  const nested = writeModel(sub, 'data/weights.bin');
  mkdirSync(join(sub, 'data'));
  writeFileSync(join(sub, 'data', 'weights.bin'), weightBytes());
  await (await createSession(nested)).release();
});

it.each([
  ['../secret.bin', /is outside the model's folder/],
  ['/etc/passwd', /is outside the model's folder/],
  ['data/../../secret.bin', /is outside the model's folder/],
])('external data %s is refused, naming the model, tensor and location', async (location, message) => {
  writeFileSync(join(dir, 'secret.bin'), weightBytes());
  const path = writeModel(join(dir, `escape-${location.length}`), location);
  await expect(createSession(path)).rejects.toThrow(
    `${path}: tensor "W": external data ${JSON.stringify(location)}`,
  );
  await expect(createSession(path)).rejects.toThrow(message);
});

it('a link out of the folder, a missing file, a short file and bytes without a path are errors', async () => {
  const linked = join(dir, 'linked');
  const path = writeModel(linked, 'weights.bin');
  symlinkSync(join(dir, 'secret.bin'), join(linked, 'weights.bin'));
  await expect(createSession(path)).rejects.toThrow(/is a link to .*secret\.bin, outside the model's folder/);
  const missing = writeModel(join(dir, 'missing'), 'weights.bin');
  await expect(createSession(missing)).rejects.toThrow(
    /not found \(external data is looked up beside the model\)/,
  );
  const short = writeModel(join(dir, 'short'), 'weights.bin', 8);
  writeFileSync(join(dir, 'short', 'weights.bin'), weightBytes());
  await expect(createSession(short)).rejects.toThrow(/bytes 8–40 are past the end of .*\(32 bytes\)/);
  await expect(createSession(externalModel('weights.bin'))).rejects.toThrow(
    '<bytes>: the model keeps tensors in external data files (weights.bin); load it from its path',
  );
});

it('model and safetensors files must be regular files: a FIFO or a device is refused without waiting', async () => {
  const fifo = join(dir, 'fifo.onnx');
  execFileSync('mkfifo', [fifo]);
  await expect(createSession(fifo)).rejects.toThrow(`${fifo}: not a regular file (a FIFO)`);
  await expect(loadSafetensors(fifo)).rejects.toThrow(`${fifo}: not a regular file (a FIFO)`);
  await expect(loadSafetensors('/dev/zero')).rejects.toThrow('/dev/zero: not a regular file (a device)');
  await expect(loadSafetensors(dir)).rejects.toThrow(`${dir}: not a regular file (a folder)`);
  const small = join(dir, 'small.safetensors');
  writeFileSync(small, Buffer.alloc(64));
  await expect(loadSafetensors(small, { maxBytes: 10 })).rejects.toThrow(
    /64 bytes, more than the 10-byte limit/,
  );
});
