/**
 * Loads `@vladmandic/human` (MIT; BlazeFace detector, MediaPipe 478-point face mesh with iris, and a
 * mini-Xception FER2013 emotion classifier, all shipped inside the npm package) offline on tfjs-wasm.
 *
 * Three things make it run without a network (measured in `shared/reference/engine-notes.md`):
 * the Node-wasm bundle is required by absolute path (the package's `exports` map has no entry a
 * plain `require` resolves to it), model URLs are `file://` paths served by a load router registered
 * with `tf.io.registerLoadRouter`, and `wasmPath` points at the local `@tensorflow/tfjs-backend-wasm`
 * `dist/` folder (otherwise Human silently falls back to the ~25× slower cpu backend).
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The subset of Human's API this package uses (its own types need DOM lib types). */
export interface HumanInstance {
  readonly config: { backend: string };
  readonly tf: HumanTf;
  load(): Promise<void>;
  detect(input: unknown): Promise<{ readonly face: readonly HumanFace[]; readonly error?: string | null }>;
}

/** The tfjs namespace bundled-by-reference in Human (the same `@tensorflow/tfjs-core` instance). */
interface HumanTf {
  getBackend(): string;
  setBackend(name: string): Promise<boolean>;
  tensor4d(
    values: Uint8Array | Int32Array,
    shape: [number, number, number, number],
    dtype: 'int32',
  ): {
    dispose(): void;
  };
  memory(): { numTensors: number };
  image: { resizeBilinear(image: unknown, size: [number, number]): { dispose(): void } };
  io: { registerLoadRouter(router: (url: string | string[]) => unknown): void };
}

/** One face as Human reports it. */
export interface HumanFace {
  readonly score: number;
  readonly boxScore: number;
  readonly faceScore: number;
  /** `[x, y, width, height]` in input pixels. */
  readonly box: readonly [number, number, number, number];
  /** 478 points `[x, y, z]` in input pixels (z relative, same scale as x). */
  readonly mesh: readonly (readonly number[])[];
  readonly emotion?: readonly { readonly score: number; readonly emotion: string }[];
}

/** Where the package's files are. */
interface HumanFiles {
  readonly packageDir: string;
  readonly bundle: string;
  readonly modelDir: string;
  readonly wasmDir: string;
}

/** Finds Human's bundle and models, and the tfjs-wasm binaries, from this package's dependencies. */
function locateHumanFiles(): HumanFiles {
  // `require.resolve('@vladmandic/human')` gives dist/human.node.js (its `require` export); its
  // package.json is not exported, so the package folder is found from that file.
  const packageDir = resolve(dirname(require.resolve('@vladmandic/human')), '..');
  const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + '/';
  return {
    packageDir,
    bundle: join(packageDir, 'dist', 'human.node-wasm.js'),
    modelDir: join(packageDir, 'models'),
    wasmDir,
  };
}

let loaded: Promise<HumanInstance> | undefined;
let routerRegistered = false;

/** Options of {@link loadHuman}: which of Human's face models run. */
export interface HumanModels {
  /** Run the emotion classifier (FER2013, 7 classes). */
  readonly emotion: boolean;
  /** Most faces per image. */
  readonly maxFaces: number;
  /** Minimum detector confidence of a face. */
  readonly minConfidence: number;
}

/**
 * One Human instance per process (Human keeps its models in module state). The first call fixes
 * the configuration's model files; later calls update the per-call settings (`emotion`, `maxFaces`,
 * `minConfidence`).
 */
export async function loadHuman(models: HumanModels): Promise<HumanInstance> {
  if (loaded === undefined) loaded = createHuman();
  const human = await loaded;
  const config = human.config as unknown as HumanConfigShape;
  config.face.emotion.enabled = models.emotion;
  config.face.detector.maxDetected = models.maxFaces;
  config.face.detector.minConfidence = models.minConfidence;
  return human;
}

interface HumanConfigShape {
  face: {
    detector: { maxDetected: number; minConfidence: number };
    emotion: { enabled: boolean };
  };
}

async function createHuman(): Promise<HumanInstance> {
  const files = locateHumanFiles();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const bundle = require(files.bundle) as { Human: new (config: object) => HumanInstance };
  const human = new bundle.Human({
    backend: 'wasm',
    wasmPath: files.wasmDir,
    modelBasePath: `file://${files.modelDir}/`,
    debug: false,
    // every frame is analysed on its own: no result caching between calls (deterministic output)
    cacheSensitivity: 0,
    warmup: 'none',
    face: {
      enabled: true,
      // MediaPipe face mesh is run on the upright detector crop; in-plane rotation correction is off
      // (measured faster; AU geometry is computed in the eye-aligned frame anyway)
      detector: { rotation: false, maxDetected: 20, minConfidence: 0.5, return: false, skipFrames: 0 },
      mesh: { enabled: true },
      iris: { enabled: true, skipFrames: 0 },
      emotion: { enabled: true, minConfidence: 0, skipFrames: 0 },
      description: { enabled: false },
      antispoof: { enabled: false },
      liveness: { enabled: false },
      attention: { enabled: false },
      gear: { enabled: false },
    },
    body: { enabled: false },
    hand: { enabled: false },
    object: { enabled: false },
    gesture: { enabled: false },
    segmentation: { enabled: false },
    filter: { enabled: false },
  });
  if (!routerRegistered) {
    human.tf.io.registerLoadRouter((url) =>
      typeof url === 'string' && url.startsWith('file://')
        ? fileModelLoader(url.slice('file://'.length))
        : null,
    );
    routerRegistered = true;
  }
  await human.load();
  if (human.tf.getBackend() !== 'wasm') {
    throw new Error(
      `@vladmandic/human started on the '${human.tf.getBackend()}' backend instead of wasm (wasm files looked for in ${files.wasmDir})`,
    );
  }
  return human;
}

interface ModelJson {
  modelTopology: unknown;
  weightsManifest: { paths: string[]; weights: unknown[] }[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string;
  signature?: unknown;
  userDefinedMetadata?: unknown;
}

/** A tfjs IOHandler reading a graph model (`model.json` + weight shards) from the local disk. */
function fileModelLoader(path: string): { load(): Promise<object> } {
  return {
    load: async () => {
      const json = JSON.parse(readFileSync(path, 'utf8')) as ModelJson;
      const shards: Buffer[] = [];
      const weightSpecs: unknown[] = [];
      for (const group of json.weightsManifest) {
        weightSpecs.push(...group.weights);
        for (const shard of group.paths) shards.push(readFileSync(join(dirname(path), shard)));
      }
      const all = Buffer.concat(shards);
      return {
        modelTopology: json.modelTopology,
        weightSpecs,
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        signature: json.signature,
        userDefinedMetadata: json.userDefinedMetadata,
      };
    },
  };
}
