import { onnx } from 'onnx-proto';

/** The ONNX opset every graph built here targets. */
export const ONNX_OPSET = 17;
/** The ONNX IR version matching opset 17 (ONNX 1.12/1.13). */
export const ONNX_IR_VERSION = 8;

/** A tensor dimension: a size, or a symbolic name (e.g. `'batch'`) for a dynamic dimension. */
export type OnnxDim = number | string;

/** Element types supported for graph inputs, outputs and initializers. */
export type OnnxDataType = 'float32' | 'int64' | 'int32';

/** A node attribute, tagged with its ONNX type so that ints and floats are never confused. */
export type OnnxAttribute =
  | { readonly type: 'int'; readonly value: number }
  | { readonly type: 'float'; readonly value: number }
  | { readonly type: 'ints'; readonly value: readonly number[] }
  | { readonly type: 'floats'; readonly value: readonly number[] }
  | { readonly type: 'string'; readonly value: string };

/**
 * Typed constructors of node attributes: `onnxAttr.int(1)`, `onnxAttr.float(1e-5)`,
 * `onnxAttr.ints([1, 1])`, `onnxAttr.floats([0.5])`, `onnxAttr.string('tanh')`. `int`/`ints` reject
 * non-integers.
 */
export const onnxAttr = {
  int(value: number): OnnxAttribute {
    if (!Number.isSafeInteger(value)) throw new Error(`onnxAttr.int: expected an integer, got ${value}`);
    return { type: 'int', value };
  },
  float(value: number): OnnxAttribute {
    if (!Number.isFinite(value)) throw new Error(`onnxAttr.float: expected a finite number, got ${value}`);
    return { type: 'float', value };
  },
  ints(value: readonly number[]): OnnxAttribute {
    const bad = value.find((v) => !Number.isSafeInteger(v));
    if (bad !== undefined)
      throw new Error(`onnxAttr.ints: expected integers, got ${bad} in [${value.join(', ')}]`);
    return { type: 'ints', value: [...value] };
  },
  floats(value: readonly number[]): OnnxAttribute {
    const bad = value.find((v) => !Number.isFinite(v));
    if (bad !== undefined) throw new Error(`onnxAttr.floats: expected finite numbers, got ${bad}`);
    return { type: 'floats', value: [...value] };
  },
  string(value: string): OnnxAttribute {
    return { type: 'string', value };
  },
} as const;

/** Options of {@link OnnxGraph.addNode}. */
export interface OnnxNodeOptions {
  /** Number of outputs (default 1). */
  outputs?: number;
  /** Node name (default: a unique name from the op type). */
  name?: string;
}

const DATA_TYPES: Record<OnnxDataType, onnx.TensorProto.DataType> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
};

const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_.:/-]*$/;

function valueInfo(
  name: string,
  dataType: OnnxDataType,
  shape: readonly OnnxDim[] | undefined,
): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: DATA_TYPES[dataType],
        ...(shape === undefined
          ? {}
          : {
              shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
            }),
      },
    },
  };
}

function attributeProto(name: string, attr: OnnxAttribute): onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (attr.type) {
    case 'int':
      return { name, type: T.INT, i: attr.value };
    case 'float':
      return { name, type: T.FLOAT, f: attr.value };
    case 'ints':
      return { name, type: T.INTS, ints: [...attr.value] };
    case 'floats':
      return { name, type: T.FLOATS, floats: [...attr.value] };
    case 'string':
      return { name, type: T.STRING, s: new TextEncoder().encode(attr.value) };
  }
}

/** A value's shape as the export knows it: sizes, `undefined` where a size follows a dynamic input dimension. */
export type StaticShape = readonly (number | undefined)[];

/**
 * Builder of an ONNX model graph (opset 17), serialised with `onnx-proto` (protobufjs). Values are named
 * strings; every method that creates a value returns its name. Nodes must be added in topological order
 * (each input defined before use), which {@link OnnxGraph.toBytes} checks.
 *
 * ```ts
 * const g = new OnnxGraph('linear');
 * const x = g.addInput('input', ['batch', 4]);
 * const w = g.addInitializer(g.uniqueName('fc.weight'), weights, [4, 2]);
 * const y = g.addNode('MatMul', [x, w]);
 * g.addOutput(y, 'logits');
 * const bytes = g.toBytes();
 * ```
 */
export class OnnxGraph {
  private readonly inputs: onnx.IValueInfoProto[] = [];
  private readonly outputs: onnx.IValueInfoProto[] = [];
  private readonly initializers: onnx.ITensorProto[] = [];
  private readonly nodes: onnx.INodeProto[] = [];
  private readonly metadata = new Map<string, string>();
  private readonly defined = new Set<string>();
  private readonly counters = new Map<string, number>();

  private readonly shapeQueries: string[] = [];
  private shapeAnswers: ReadonlyArray<StaticShape | undefined> | undefined;

  /** @param name - the graph's name (stored in the model). */
  constructor(readonly name: string = 'graph') {}

  /**
   * The static shape of `value` when the export knows it, else `undefined`. `exportOnnx` builds the graph
   * twice: the first build records every question (its value becomes an extra output of the draft that
   * onnxruntime runs at batch 1 and 2) and the second build answers them **in the order they were asked**,
   * so a lowering must ask the same questions in the same order whatever the answers are. A dimension is
   * `undefined` where it follows a dynamic input dimension. A graph built outside `exportOnnx` answers
   * nothing: a lowering must also work without the shape.
   */
  staticShape(value: string): StaticShape | undefined {
    if (!this.defined.has(value)) throw new Error(`OnnxGraph.staticShape: value "${value}" is not defined`);
    const index = this.shapeQueries.length;
    this.shapeQueries.push(value);
    return this.shapeAnswers?.[index];
  }

  /** The values asked about with {@link OnnxGraph.staticShape} so far, in order. */
  get shapeQuestions(): readonly string[] {
    return this.shapeQueries;
  }

  /**
   * Answers for the {@link OnnxGraph.staticShape} questions of this build, in the order they will be asked
   * (from a first build of the same model). Set before the lowering runs.
   */
  answerShapeQuestions(shapes: ReadonlyArray<StaticShape | undefined>): void {
    if (this.shapeQueries.length > 0) {
      throw new Error('OnnxGraph.answerShapeQuestions: questions were already asked in this build');
    }
    this.shapeAnswers = [...shapes];
  }

  /** Number of nodes added so far. */
  get nodeCount(): number {
    return this.nodes.length;
  }

  /** A value name not used yet in this graph: `prefix`, or `prefix_1`, `prefix_2`, … */
  uniqueName(prefix: string): string {
    let n = this.counters.get(prefix) ?? 0;
    let name = n === 0 ? prefix : `${prefix}_${n}`;
    while (this.defined.has(name)) name = `${prefix}_${++n}`;
    this.counters.set(prefix, n + 1);
    return name;
  }

  private define(name: string, what: string): void {
    if (!NAME_PATTERN.test(name)) {
      throw new Error(
        `OnnxGraph.${what}: invalid value name ${JSON.stringify(name)} (letters, digits, _ . : / -)`,
      );
    }
    if (this.defined.has(name)) throw new Error(`OnnxGraph.${what}: value name "${name}" is already defined`);
    this.defined.add(name);
  }

  /** Whether a value (input, initializer or node output) of this name exists. */
  has(name: string): boolean {
    return this.defined.has(name);
  }

  /**
   * Declares a graph input. `shape` entries are sizes or symbolic names (a string such as `'batch'`
   * makes that dimension dynamic). Returns `name`.
   */
  addInput(name: string, shape: readonly OnnxDim[], dataType: OnnxDataType = 'float32'): string {
    shape.forEach((d, i) => {
      if (typeof d === 'number' && !(Number.isSafeInteger(d) && d >= 0)) {
        throw new Error(
          `OnnxGraph.addInput: "${name}" dimension ${i} must be a non-negative integer or a name, got ${d}`,
        );
      }
    });
    this.define(name, 'addInput');
    this.inputs.push(valueInfo(name, dataType, shape));
    return name;
  }

  /**
   * Adds a constant tensor (weights, shapes, axes). Float data is stored as float32, integer data
   * as int64 unless `dataType` says `'int32'`. `data.length` must equal the product of `dims`.
   * Returns `name`.
   */
  addInitializer(
    name: string,
    data: Float32Array | Int32Array | readonly number[],
    dims: readonly number[],
    dataType: OnnxDataType = data instanceof Float32Array ? 'float32' : 'int64',
  ): string {
    const size = dims.reduce((p, d) => p * d, 1);
    if (dims.some((d) => !Number.isSafeInteger(d) || d < 0)) {
      throw new Error(
        `OnnxGraph.addInitializer: "${name}" dims must be non-negative integers, got [${dims.join(', ')}]`,
      );
    }
    if (data.length !== size) {
      throw new Error(
        `OnnxGraph.addInitializer: "${name}" has ${data.length} values but dims [${dims.join(', ')}] need ${size}`,
      );
    }
    this.define(name, 'addInitializer');
    const tensor: onnx.ITensorProto = { name, dims: [...dims], dataType: DATA_TYPES[dataType] };
    if (dataType === 'float32') {
      const values = data instanceof Float32Array ? data : Float32Array.from(data);
      tensor.rawData = new Uint8Array(
        values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength),
      );
    } else {
      const bad = Array.from(data).find((v) => !Number.isSafeInteger(v));
      if (bad !== undefined)
        throw new Error(`OnnxGraph.addInitializer: "${name}" is ${dataType} but holds ${bad}`);
      if (dataType === 'int64') tensor.int64Data = Array.from(data);
      else tensor.int32Data = Array.from(data);
    }
    this.initializers.push(tensor);
    return name;
  }

  /** Adds an int64 constant (for shapes, axes, slice bounds) under a unique name from `prefix`; returns its name. */
  addInt64Constant(prefix: string, values: readonly number[]): string {
    return this.addInitializer(this.uniqueName(prefix), values, [values.length], 'int64');
  }

  /**
   * Adds a node of `opType` (default domain, opset 17) reading `inputs` (value names; `''` for an
   * omitted optional input) and returns its output name (unique, derived from the op type). For
   * several outputs use {@link OnnxGraph.addNodeWithOutputs}.
   */
  addNode(
    opType: string,
    inputs: readonly string[],
    attributes: Readonly<Record<string, OnnxAttribute>> = {},
    options: Omit<OnnxNodeOptions, 'outputs'> = {},
  ): string {
    return this.addNodeWithOutputs(opType, inputs, attributes, { ...options, outputs: 1 })[0] as string;
  }

  /** {@link OnnxGraph.addNode} for ops with several outputs (`options.outputs`); returns every output name. */
  addNodeWithOutputs(
    opType: string,
    inputs: readonly string[],
    attributes: Readonly<Record<string, OnnxAttribute>> = {},
    options: OnnxNodeOptions = {},
  ): string[] {
    if (!/^[A-Za-z][A-Za-z0-9]*$/.test(opType))
      throw new Error(`OnnxGraph.addNode: invalid op type ${JSON.stringify(opType)}`);
    inputs.forEach((input, i) => {
      if (input !== '' && !this.defined.has(input)) {
        throw new Error(
          `OnnxGraph.addNode(${opType}): input ${i} "${input}" is not defined yet (add it before use)`,
        );
      }
    });
    const count = options.outputs ?? 1;
    if (!Number.isSafeInteger(count) || count < 1) {
      throw new Error(
        `OnnxGraph.addNode(${opType}): options.outputs must be a positive integer, got ${count}`,
      );
    }
    const nodeName = options.name ?? this.uniqueName(`${opType}_node`);
    const outputs = Array.from({ length: count }, () => this.uniqueName(opType));
    outputs.forEach((o) => this.define(o, 'addNode'));
    this.nodes.push({
      name: nodeName,
      opType,
      input: [...inputs],
      output: outputs,
      attribute: Object.entries(attributes).map(([name, attr]) => attributeProto(name, attr)),
    });
    return outputs;
  }

  /**
   * Declares `value` a graph output, renamed `name` through an `Identity` node when they differ.
   * `shape` is optional (onnxruntime infers it). Returns the output name.
   */
  addOutput(
    value: string,
    name: string = value,
    shape?: readonly OnnxDim[],
    dataType: OnnxDataType = 'float32',
  ): string {
    if (!this.defined.has(value)) throw new Error(`OnnxGraph.addOutput: value "${value}" is not defined`);
    if (this.outputs.some((o) => o.name === name))
      throw new Error(`OnnxGraph.addOutput: output "${name}" is declared twice`);
    if (name !== value) {
      this.define(name, 'addOutput');
      this.nodes.push({
        name: this.uniqueName('Identity_node'),
        opType: 'Identity',
        input: [value],
        output: [name],
      });
    }
    this.outputs.push(valueInfo(name, dataType, shape));
    return name;
  }

  /** Stores a metadata entry (`metadata_props`) in the model. */
  setMetadata(key: string, value: string): void {
    this.metadata.set(key, value);
  }

  /** The model as an `onnx.ModelProto` (IR 8, opset 17). Throws when the graph has no input or output. */
  toModelProto(): onnx.ModelProto {
    if (this.inputs.length === 0)
      throw new Error(`OnnxGraph "${this.name}": no input declared (use addInput)`);
    if (this.outputs.length === 0)
      throw new Error(`OnnxGraph "${this.name}": no output declared (use addOutput)`);
    return onnx.ModelProto.create({
      irVersion: ONNX_IR_VERSION,
      opsetImport: [{ domain: '', version: ONNX_OPSET }],
      producerName: '@dfer/runtime',
      graph: {
        name: this.name,
        node: this.nodes,
        input: this.inputs,
        output: this.outputs,
        initializer: this.initializers,
      },
      metadataProps: [...this.metadata].map(([key, value]) => ({ key, value })),
    });
  }

  /** The serialised model (protobuf bytes of `onnx.ModelProto`). */
  toBytes(): Uint8Array {
    return onnx.ModelProto.encode(this.toModelProto()).finish();
  }
}
