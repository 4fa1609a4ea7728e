import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

import { type AnyModule, Module, ModuleList, Sequential, createRng } from '@dfer/backbones';
import { BatchNorm, Conv2d, Dropout, Linear } from '@dfer/backbones/nn';
import { expectNoTensorLeak } from '@dfer/test-utils';

class TinyNet extends Module {
  readonly conv: Conv2d;
  readonly bn: BatchNorm;
  readonly heads: ModuleList<Linear>;

  constructor() {
    super();
    const rng = createRng(3);
    this.conv = this.registerModule('conv', new Conv2d(2, 3, 3, { padding: 1, bias: false, rng }));
    this.bn = this.registerModule('bn', new BatchNorm(3));
    this.heads = this.registerModule(
      'heads',
      new ModuleList([new Linear(3, 2, { rng }), new Linear(3, 1, { rng })]),
    );
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const pooled = tf.mean(tf.relu(this.bn.forward(this.conv.forward(x))), [1, 2]);
      return tf.concat(
        [...this.heads].map((h) => h.forward(pooled)),
        1,
      );
    });
  }
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('Module', () => {
  it('names state like PyTorch, in state_dict order, with PyTorch shapes and dtypes', () => {
    const net = new TinyNet();
    expect(net.stateDictSpec('pytorch')).toEqual([
      { name: 'conv.weight', shape: [3, 2, 3, 3], dtype: 'float32' },
      { name: 'bn.weight', shape: [3], dtype: 'float32' },
      { name: 'bn.bias', shape: [3], dtype: 'float32' },
      { name: 'bn.running_mean', shape: [3], dtype: 'float32' },
      { name: 'bn.running_var', shape: [3], dtype: 'float32' },
      { name: 'bn.num_batches_tracked', shape: [], dtype: 'int64' },
      { name: 'heads.0.weight', shape: [2, 3], dtype: 'float32' },
      { name: 'heads.0.bias', shape: [2], dtype: 'float32' },
      { name: 'heads.1.weight', shape: [1, 3], dtype: 'float32' },
      { name: 'heads.1.bias', shape: [1], dtype: 'float32' },
    ]);
    expect(net.stateDictSpec('tfjs')[0]).toEqual({
      name: 'conv.weight',
      shape: [3, 3, 2, 3],
      dtype: 'float32',
    });
    // 54 conv + 3 + 3 BN affine + 8 + 4 linear; buffers excluded
    expect(net.numParameters()).toBe(54 + 6 + 8 + 4);
    expect(net.parameters()).toHaveLength(7);
    expect(net.namedBuffers().map(([n]) => n)).toEqual([
      'bn.running_mean',
      'bn.running_var',
      'bn.num_batches_tracked',
    ]);
    net.dispose();
  });

  it('round-trips a PyTorch-layout state dict (transposes conv and linear weights)', async () => {
    const a = new TinyNet();
    const b = new TinyNet();
    fillRandomly(b, 9);
    await expectNoTensorLeak(() => {
      const torchDict = b.stateDict({ layout: 'pytorch' });
      expect(torchDict['heads.0.weight']?.shape).toEqual([2, 3]);
      // PyTorch [out, in, kh, kw][o][i][u][v] equals tfjs [u, v, i, o]
      const tfjsW = b.conv.weight.arraySync() as number[][][][];
      const torchW = torchDict['conv.weight']?.arraySync() as number[][][][];
      expect(torchW[2]?.[1]?.[0]?.[2]).toBe(tfjsW[0]?.[2]?.[1]?.[2]);
      a.loadStateDict(torchDict, { layout: 'pytorch' });
      tf.dispose(Object.values(torchDict));
      a.eval();
      b.eval();
      const x = tf.randomUniform([2, 4, 4, 2], 0, 1, 'float32', 1);
      const ya = a.forward(x);
      const yb = b.forward(x);
      expect(Array.from(ya.dataSync())).toEqual(Array.from(yb.dataSync()));
      tf.dispose([x, ya, yb]);
    });
    a.dispose();
    b.dispose();
  });

  it('rejects missing, unexpected and mis-shaped keys, naming each, and changes nothing', () => {
    const net = new TinyNet();
    const dict = net.stateDict({ layout: 'pytorch' });
    const before = Array.from(net.heads.get(0).weight.dataSync());
    const broken = { ...dict };
    delete broken['bn.running_var'];
    broken['extra.weight'] = tf.zeros([1]);
    const wrong = tf.zeros([2, 4]);
    broken['heads.0.weight'] = wrong;
    expect(() => net.loadStateDict(broken, { layout: 'pytorch', source: 'w.safetensors' })).toThrow(
      /from w\.safetensors: missing keys \(1\): bn\.running_var\. unexpected keys \(1\): extra\.weight\. mis-shaped keys \(1\): heads\.0\.weight: expected \[2, 3\] \(pytorch layout\), got \[2, 4\]/,
    );
    expect(Array.from(net.heads.get(0).weight.dataSync())).toEqual(before);
    const lenient = { ...dict };
    delete lenient['bn.running_var'];
    lenient['extra.weight'] = broken['extra.weight'] as tf.Tensor;
    const result = net.loadStateDict(lenient, { layout: 'pytorch', strict: false });
    expect(result).toEqual({ loaded: 9, missingKeys: ['bn.running_var'], unexpectedKeys: ['extra.weight'] });
    tf.dispose([...Object.values(dict), broken['extra.weight'] as tf.Tensor, wrong]);
    net.dispose();
  });

  it('optional: a strict load may lack those names (kept, listed as missing); other gaps still fail', () => {
    const net = new TinyNet();
    const dict = net.stateDict({ layout: 'pytorch' });
    const partial = { ...dict };
    delete partial['bn.running_var'];
    const optional = (name: string): boolean => name.startsWith('bn.');
    const result = net.loadStateDict(partial, { layout: 'pytorch', optional });
    expect(result).toEqual({ loaded: 9, missingKeys: ['bn.running_var'], unexpectedKeys: [] });
    delete partial['heads.0.bias'];
    expect(() => net.loadStateDict(partial, { layout: 'pytorch', optional })).toThrow(
      /: missing keys \(1\): heads\.0\.bias$/,
    );
    tf.dispose(Object.values(dict));
    net.dispose();
  });

  it('train()/eval() propagate to every descendant; dispose frees every variable', () => {
    const before = tf.memory().numTensors;
    const net = new TinyNet();
    net.eval();
    expect(net.namedModules().every(([, m]) => !m.training)).toBe(true);
    net.train();
    expect(net.heads.get(1).training).toBe(true);
    net.dispose();
    expect(net.isDisposed).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => net.stateDict()).toThrow(/disposed/);
  });

  it('refuses duplicate and dotted names', () => {
    class Bad extends Module {
      constructor(name: string) {
        super();
        this.registerModule('a', new Linear(1, 1));
        this.registerModule(name, new Linear(1, 1));
      }
      forward(x: tf.Tensor): tf.Tensor {
        return x;
      }
    }
    expect(() => new Bad('a')).toThrow(/name 'a' is already registered/);
    expect(() => new Bad('b.c')).toThrow(/invalid name 'b\.c'/);
  });

  it('same seed gives the same initial weights, bit for bit', () => {
    const a = new Linear(4, 3, { rng: createRng(7) });
    const b = new Linear(4, 3, { rng: createRng(7) });
    const c = new Linear(4, 3, { rng: createRng(8) });
    expect(Array.from(a.weight.dataSync())).toEqual(Array.from(b.weight.dataSync()));
    expect(Array.from(a.weight.dataSync())).not.toEqual(Array.from(c.weight.dataSync()));
    // PyTorch's default bound 1/√in
    expect(Math.max(...Array.from(a.weight.dataSync()).map(Math.abs))).toBeLessThanOrEqual(0.5);
    [a, b, c].forEach((m) => m.dispose());
  });

  it('Sequential chains; Dropout is identity in eval and seeded in training', async () => {
    const seq = new Sequential([new Linear(3, 3), new Dropout(0.5, { rng: createRng(1) })]);
    await expectNoTensorLeak(() => {
      const x = tf.ones([4, 3]);
      seq.eval();
      const y0 = seq.forward(x);
      const y1 = seq.get(0).forward(x);
      expect(Array.from(y0.dataSync())).toEqual(Array.from(y1.dataSync()));
      seq.train();
      const d1 = tf.tidy(() => new Dropout(0.5, { rng: createRng(5) }).forward(tf.ones([64])));
      const d2 = tf.tidy(() => new Dropout(0.5, { rng: createRng(5) }).forward(tf.ones([64])));
      expect(Array.from(d1.dataSync())).toEqual(Array.from(d2.dataSync()));
      expect(new Set(d1.dataSync())).toEqual(new Set([0, 2]));
      tf.dispose([x, y0, y1, d1, d2]);
    });
    seq.dispose();
  });
});

function fillRandomly(m: AnyModule, seed: number): void {
  const rng = createRng(seed);
  for (const e of m.stateEntries()) {
    if (e.variable.dtype !== 'float32') continue;
    const values = Float32Array.from({ length: e.variable.size }, () => rng.normal());
    tf.tidy(() => e.variable.assign(tf.tensor(values, e.variable.shape)));
  }
}
