import * as tf from '@tensorflow/tfjs-core';
import {
  parseJsonText,
  readRegularFile,
  readSafetensors,
  writeSafetensors,
  type SafetensorsTensor,
} from '@dfer/runtime';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { atomicWriteFile } from '../io/atomic-write';
import type { OptimizerState } from '../optim/optimizers';

/**
 * Checkpoints of a training run, one folder per fold:
 *
 *     fold-1/checkpoints/epoch-0003/{model.safetensors, optimizer.safetensors, state.json}
 *     fold-1/best.safetensors        weights of the selected epoch so far
 *     fold-1/latest.json             { "epoch": 3, "dir": "checkpoints/epoch-0003" }
 *
 * Every file is written atomically (temporary file + rename) and `latest.json` is replaced last, so a
 * crash at any point leaves the previous complete checkpoint as the one `loadLatestCheckpoint` finds.
 * Weights use the tfjs layout and the model's state-dict names; the optimizer's slots are stored as
 * `<parameter>::<slot>`.
 */

/** Something with named parameters and buffers (a `Module` of `@dfer/backbones`). */
export interface CheckpointableModel {
  namedParameters(): Array<[string, tf.Variable]>;
  namedBuffers(): Array<[string, tf.Variable]>;
}

/** What a checkpoint holds. */
export interface Checkpoint<State> {
  readonly epoch: number;
  readonly weights: Record<string, SafetensorsTensor>;
  readonly optimizer: OptimizerState;
  readonly state: State;
}

function tensorRecord(v: tf.Variable): SafetensorsTensor {
  if (v.dtype === 'int32') return { dtype: 'I32', shape: [...v.shape], data: Int32Array.from(v.dataSync()) };
  if (v.dtype !== 'float32')
    throw new Error(`checkpoint: variable ${v.name} has dtype ${v.dtype}; expected float32 or int32`);
  return { dtype: 'F32', shape: [...v.shape], data: Float32Array.from(v.dataSync()) };
}

/** The model's parameters and buffers as safetensors records. */
export function modelWeights(model: CheckpointableModel): Record<string, SafetensorsTensor> {
  const out: Record<string, SafetensorsTensor> = {};
  for (const [name, v] of [...model.namedParameters(), ...model.namedBuffers()]) out[name] = tensorRecord(v);
  return out;
}

/** Assign saved weights to the model's variables; every variable must be present with its shape. */
export function assignModelWeights(
  model: CheckpointableModel,
  weights: Readonly<Record<string, SafetensorsTensor>>,
  source: string,
): void {
  const variables = [...model.namedParameters(), ...model.namedBuffers()];
  const missing = variables.filter(([name]) => !(name in weights)).map(([n]) => n);
  const known = new Set(variables.map(([n]) => n));
  const unexpected = Object.keys(weights).filter((n) => !known.has(n));
  const misShaped = variables
    .filter(([name, v]) => name in weights && weights[name]!.shape.join(',') !== v.shape.join(','))
    .map(([name, v]) => `${name} (file [${weights[name]!.shape.join(', ')}], model [${v.shape.join(', ')}])`);
  if (missing.length || unexpected.length || misShaped.length) {
    throw new Error(
      `${source}: weights do not match the model` +
        (missing.length ? `; missing: ${missing.join(', ')}` : '') +
        (unexpected.length ? `; unexpected: ${unexpected.join(', ')}` : '') +
        (misShaped.length ? `; mis-shaped: ${misShaped.join(', ')}` : ''),
    );
  }
  for (const [name, v] of variables) {
    const w = weights[name]!;
    tf.tidy(() => v.assign(tf.tensor(w.data as Float32Array | Int32Array, w.shape, v.dtype)));
  }
}

function optimizerRecords(state: OptimizerState): Record<string, SafetensorsTensor> {
  const out: Record<string, SafetensorsTensor> = {};
  for (const [param, slots] of Object.entries(state.slots)) {
    for (const [slot, data] of Object.entries(slots)) {
      out[`${param}::${slot}`] = { dtype: 'F32', shape: [data.length], data: Float32Array.from(data) };
    }
  }
  return out;
}

function optimizerFromRecords(
  records: Readonly<Record<string, SafetensorsTensor>>,
  metadata: Readonly<Record<string, string>>,
): OptimizerState {
  const slots: Record<string, Record<string, Float32Array>> = {};
  for (const [key, t] of Object.entries(records)) {
    const sep = key.lastIndexOf('::');
    if (sep <= 0) throw new Error(`optimizer checkpoint: tensor name "${key}" is not <parameter>::<slot>`);
    const param = key.slice(0, sep);
    (slots[param] ??= {})[key.slice(sep + 2)] = t.data as Float32Array;
  }
  const step = Number(metadata.step);
  if (!metadata.type || !Number.isInteger(step)) {
    throw new Error('optimizer checkpoint: metadata must hold "type" and an integer "step"');
  }
  return { type: metadata.type, step, slots };
}

/** Write the checkpoint of `epoch` under `foldDir` and point `latest.json` at it; keeps the newest `keep`. */
export function saveCheckpoint<State>(
  foldDir: string,
  checkpoint: { epoch: number; model: CheckpointableModel; optimizer: OptimizerState; state: State },
  keep = 2,
): void {
  const rel = join('checkpoints', `epoch-${String(checkpoint.epoch).padStart(4, '0')}`);
  const dir = join(foldDir, rel);
  mkdirSync(dir, { recursive: true });
  atomicWriteFile(join(dir, 'model.safetensors'), writeSafetensors(modelWeights(checkpoint.model)));
  atomicWriteFile(
    join(dir, 'optimizer.safetensors'),
    writeSafetensors(optimizerRecords(checkpoint.optimizer), {
      type: checkpoint.optimizer.type,
      step: String(checkpoint.optimizer.step),
    }),
  );
  atomicWriteFile(
    join(dir, 'state.json'),
    `${JSON.stringify({ epoch: checkpoint.epoch, ...checkpoint.state }, null, 1)}\n`,
  );
  atomicWriteFile(join(foldDir, 'latest.json'), `${JSON.stringify({ epoch: checkpoint.epoch, dir: rel })}\n`);
  const all = readdirSync(join(foldDir, 'checkpoints'))
    .filter((d) => /^epoch-\d{4}$/.test(d))
    .sort();
  for (const old of all.slice(0, Math.max(0, all.length - keep))) {
    rmSync(join(foldDir, 'checkpoints', old), { recursive: true, force: true });
  }
}

/** Largest JSON file of a checkpoint read (`latest.json`, `state.json`): 64 MiB. */
const CHECKPOINT_JSON_MAX_BYTES = 67_108_864;

/** Reads a checkpoint's JSON file (a regular file of bounded size); errors name the file. */
function readCheckpointJson(path: string): unknown {
  const text = readRegularFile(path, { maxBytes: CHECKPOINT_JSON_MAX_BYTES }).toString('utf8');
  return parseJsonText(text, path);
}

/**
 * The checkpoint `latest.json` points at, or `undefined` when the fold has none. Its files must be regular
 * files, and `latest.json` may only name a `checkpoints/epoch-NNNN` folder of this fold.
 */
export function loadLatestCheckpoint<State>(foldDir: string): Checkpoint<State> | undefined {
  const pointer = join(foldDir, 'latest.json');
  if (!existsSync(pointer)) return undefined;
  const { epoch, dir } = readCheckpointJson(pointer) as { epoch: unknown; dir: unknown };
  if (typeof dir !== 'string' || !/^checkpoints[\\/]epoch-\d{4}$/.test(dir) || !Number.isInteger(epoch)) {
    throw new Error(
      `${pointer}: expected {"epoch": <integer>, "dir": "checkpoints/epoch-NNNN"}, got dir ${JSON.stringify(dir)}, epoch ${JSON.stringify(epoch)}`,
    );
  }
  const full = join(foldDir, dir);
  const weights = readSafetensors(
    readRegularFile(join(full, 'model.safetensors')),
    join(full, 'model.safetensors'),
  );
  const optim = readSafetensors(
    readRegularFile(join(full, 'optimizer.safetensors')),
    join(full, 'optimizer.safetensors'),
  );
  const state = readCheckpointJson(join(full, 'state.json')) as State;
  return {
    epoch: epoch as number,
    weights: weights.tensors,
    optimizer: optimizerFromRecords(optim.tensors, optim.metadata),
    state,
  };
}

/** Save weights alone (e.g. the selected epoch's) atomically, with string metadata. */
export function saveWeights(
  path: string,
  model: CheckpointableModel,
  metadata: Record<string, string> = {},
): void {
  atomicWriteFile(path, writeSafetensors(modelWeights(model), metadata));
}

/** Read weights saved by {@link saveWeights}. */
export function loadWeights(path: string): {
  weights: Record<string, SafetensorsTensor>;
  metadata: Record<string, string>;
} {
  const content = readSafetensors(readRegularFile(path), path);
  return { weights: content.tensors, metadata: content.metadata };
}
