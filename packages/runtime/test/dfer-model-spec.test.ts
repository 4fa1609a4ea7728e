import { readDferModelSpec, type OnnxModelInfo } from '@dfer/runtime';

/** A model file's interface as readOnnxModelInfo returns it, with the metadata `dfer export-onnx` writes. */
function info(
  metadata: Record<string, string>,
  inputShape = ['batch', 16, 32, 32, 3] as (string | number)[],
): OnnxModelInfo {
  return {
    irVersion: 8,
    opset: 17,
    producerName: 'dfer',
    inputs: [{ name: 'input', elemType: 1, shape: inputShape }],
    outputs: [
      { name: 'features', elemType: 1, shape: ['batch', 64] },
      { name: 'logits', elemType: 1, shape: ['batch', 3] },
    ],
    metadata,
    nodeCount: 1,
    externalData: [],
  };
}

const exported = {
  'dfer.model': 'former_dfer',
  'dfer.preset': 'tiny',
  'dfer.labels': '["happy","sad","fear"]',
  'dfer.normalization': '{"mean":[0.5,0.5,0.5],"std":[0.25,0.25,0.5]}',
};

describe('readDferModelSpec', () => {
  it('reads the clip size, labels, normalisation and the logits output of an exported model', () => {
    expect(readDferModelSpec(info(exported), 'm.onnx')).toEqual({
      model: 'former_dfer',
      preset: 'tiny',
      labels: ['happy', 'sad', 'fear'],
      inputName: 'input',
      logitsName: 'logits',
      frames: 16,
      height: 32,
      width: 32,
      mean: [0.5, 0.5, 0.5],
      std: [0.25, 0.25, 0.5],
    });
    const { 'dfer.normalization': _, ...withoutNorm } = exported;
    const spec = readDferModelSpec(info(withoutNorm));
    expect([spec.mean, spec.std]).toEqual([
      [0, 0, 0],
      [1, 1, 1],
    ]);
  });

  it('a file without dfer metadata or with a broken one is a clear error naming the file', () => {
    const expectError = (i: OnnxModelInfo, message: string) =>
      expect(() => readDferModelSpec(i, 'm.onnx')).toThrow(
        `m.onnx: ${message} (expected a model written by dfer export-onnx)`,
      );
    expectError(info({}), 'it has no dfer metadata (dfer.model is missing)');
    expectError(info({ ...exported, 'dfer.labels': 'happy' }), 'metadata dfer.labels is not JSON');
    expectError(
      info({ ...exported, 'dfer.labels': '[]' }),
      'metadata dfer.labels is missing or not a JSON list of class names',
    );
    expectError(
      info({ ...exported, 'dfer.labels': '["a","b"]' }),
      "output 'logits' has 3 classes but dfer.labels names 2",
    );
    expectError(
      info(exported, ['batch', 'frames', 32, 32, 3]),
      "input 'input' has shape [batch, frames, 32, 32, 3], not [batch, T, H, W, 3] with fixed T, H, W",
    );
    expectError(
      info({ ...exported, 'dfer.normalization': '{"mean":[0,0,0],"std":[1,0,1]}' }),
      'metadata dfer.normalization.std has a value ≤ 0',
    );
    expectError(
      info({ ...exported, 'dfer.normalization': '{"mean":[0,0],"std":[1,1,1]}' }),
      'metadata dfer.normalization.mean is not a list of 3 finite numbers',
    );
  });
});
