/**
 * The backbones Graft knows: built-in ImageNet networks with their official sources and
 * checksums, plus the ones a user added from a folder.
 *
 * A backbone spec says everything extraction, prediction and export need to agree on:
 * the input size and value range (see `preprocess.ts`), which layer or node holds the
 * features, whether they still need global average pooling, and the feature dimension.
 */
import fs from 'node:fs';
import path from 'node:path';
import { GraftError } from '../errors';
import { checksums, type FileChecksums } from './checksums';
import { userConfigDir } from './user-dirs';

export type ModelFormat = 'layers' | 'graph' | 'saved_model';

export interface BackboneSource {
  /** Folder URL; file `name` is fetched from `${baseUrl}/${name}${query}`. */
  baseUrl: string;
  /** e.g. `?tfjs-format=file` for TF Hub's TF.js models. */
  query?: string;
  homepage: string;
  license: string;
}

export interface BackboneSpec {
  /** Stable id; also the folder name under GRAFT_MODELS_DIR and the cache. */
  id: string;
  name: string;
  description: string;
  format: ModelFormat;
  /** Square input side in pixels. */
  inputSize: number;
  /** Pixel values 0…255 are mapped linearly onto this range. */
  inputRange: readonly [number, number];
  /** Layers models: the layer whose output is the feature map (or vector). */
  featureLayer?: string;
  /** Graph/SavedModel: the node (graph) or output name (SavedModel) holding the features. */
  featureNode?: string;
  /** 'avg': the feature output is a [n,h,w,c] map to average-pool; 'none': already a vector. */
  pooling: 'avg' | 'none';
  /** Length of one code. */
  dim: number;
  /** Where a user with internet gets the files; absent for local-only backbones. */
  source?: BackboneSource;
  /** Per-file SHA-256 and size, when known ahead of download. */
  files?: FileChecksums;
  /** The network still has its ImageNet head; `labels` says how to read its outputs. */
  imagenetHead?: { labels: 'imagenet1000' | 'imagenet1001' };
  builtin: boolean;
  /** User-added backbones: the folder holding model.json (or saved_model.pb). */
  folder?: string;
  /** SavedModel signature and tags (tfjs-node only). */
  savedModel?: { tags: string[]; signature: string };
  /** The entry whose files this one runs (the same network fed another image size). */
  weightsOf?: string;
}

const googleStorage = (name: string): BackboneSource => ({
  baseUrl: `https://storage.googleapis.com/tfjs-models/tfjs/${name}`,
  homepage: 'https://github.com/tensorflow/tfjs-models/tree/master/mobilenet',
  license: 'Apache-2.0',
});
const tfhub = (handle: string, homepage: string): BackboneSource => ({
  baseUrl: `https://tfhub.dev/google/tfjs-model/${handle}`,
  query: '?tfjs-format=file',
  homepage,
  license: 'Apache-2.0',
});

const networks: readonly BackboneSpec[] = [
  {
    id: 'mobilenet_v1_0.25_224',
    name: 'MobileNet v1 0.25',
    description: 'Tiny and fast (256-d codes); good for quick experiments.',
    format: 'layers',
    inputSize: 224,
    inputRange: [-1, 1],
    featureLayer: 'conv_pw_13_relu',
    pooling: 'avg',
    dim: 256,
    source: googleStorage('mobilenet_v1_0.25_224'),
    files: checksums['mobilenet_v1_0.25_224'],
    imagenetHead: { labels: 'imagenet1000' },
    builtin: true,
  },
  {
    id: 'mobilenet_v1_0.75_224',
    name: 'MobileNet v1 0.75',
    description: 'Fast, 768-d codes, about 88% on the flowers set alone.',
    format: 'layers',
    inputSize: 224,
    inputRange: [-1, 1],
    featureLayer: 'conv_pw_13_relu',
    pooling: 'avg',
    dim: 768,
    source: googleStorage('mobilenet_v1_0.75_224'),
    files: checksums['mobilenet_v1_0.75_224'],
    imagenetHead: { labels: 'imagenet1000' },
    builtin: true,
  },
  {
    // Derived from Teachable Machine's base network (its 2-class head removed, model
    // flattened), so its bytes exist nowhere online: it can be used from a local folder
    // only. The network it was cut from is the Teachable Machine URL in `homepage`.
    id: 'mobilenet_v2_0.35_224_notop',
    name: 'MobileNet v2 0.35 (no top)',
    description: "Teachable Machine's frozen base; 1280-d pooled codes.",
    format: 'layers',
    inputSize: 224,
    inputRange: [-1, 1],
    pooling: 'none',
    dim: 1280,
    files: checksums['mobilenet_v2_0.35_224_notop'],
    builtin: true,
  },
  {
    id: 'tfhub_mobilenet_v1_025_224_classification',
    name: 'MobileNet v1 0.25 (TF Hub graph)',
    description: 'The TF Hub classification module as a TF.js graph model; 256-d codes.',
    format: 'graph',
    inputSize: 224,
    inputRange: [0, 1],
    featureNode: 'module_apply_default/MobilenetV1/Logits/global_pool',
    pooling: 'none',
    dim: 256,
    source: tfhub('imagenet/mobilenet_v1_025_224/classification/1/default/1', 'https://tfhub.dev/google/imagenet/mobilenet_v1_025_224/classification/1'),
    files: checksums['tfhub_mobilenet_v1_025_224_classification'],
    imagenetHead: { labels: 'imagenet1001' },
    builtin: true,
  },
  // Stronger networks for users with internet. Their checksums are pinned on first
  // download (see weights.ts) because they could not be computed on an offline machine.
  {
    id: 'mobilenet_v1_1.0_224',
    name: 'MobileNet v1 1.0',
    description: 'Full-width MobileNet v1: 1024-d codes, a little more accurate than 0.75.',
    format: 'layers',
    inputSize: 224,
    inputRange: [-1, 1],
    featureLayer: 'conv_pw_13_relu',
    pooling: 'avg',
    dim: 1024,
    source: googleStorage('mobilenet_v1_1.0_224'),
    imagenetHead: { labels: 'imagenet1000' },
    builtin: true,
  },
  {
    id: 'mobilenet_v2_1.0_224_feature_vector',
    name: 'MobileNet v2 1.0 (feature vector)',
    description: 'TF Hub MobileNet v2 at full width: 1280-d codes.',
    format: 'graph',
    inputSize: 224,
    inputRange: [0, 1],
    pooling: 'none',
    dim: 1280,
    source: tfhub('imagenet/mobilenet_v2_100_224/feature_vector/3/default/1', 'https://tfhub.dev/google/imagenet/mobilenet_v2_100_224/feature_vector/3'),
    builtin: true,
  },
  {
    id: 'mobilenet_v3_large_1.0_224_feature_vector',
    name: 'MobileNet v3 large (feature vector)',
    description: 'TF Hub MobileNet v3 large: 1280-d codes, stronger than v2 at similar speed.',
    format: 'graph',
    inputSize: 224,
    inputRange: [0, 1],
    pooling: 'none',
    dim: 1280,
    source: tfhub('imagenet/mobilenet_v3_large_100_224/feature_vector/5/default/1', 'https://tfhub.dev/google/imagenet/mobilenet_v3_large_100_224/feature_vector/5'),
    builtin: true,
  },
  {
    id: 'inception_v3_feature_vector',
    name: 'Inception v3 (feature vector)',
    description: 'The classic retraining network: 2048-d codes, 299×299 input, about 10× slower.',
    format: 'graph',
    inputSize: 299,
    inputRange: [0, 1],
    pooling: 'none',
    dim: 2048,
    source: tfhub('imagenet/inception_v3/feature_vector/3/default/1', 'https://tfhub.dev/google/imagenet/inception_v3/feature_vector/3'),
    builtin: true,
  },
];

/**
 * A network fed larger images than it was trained on. Its convolutions take any size and
 * its codes are averaged over the feature map, so the same weights see more detail, for
 * about twice the extraction time (docs/experiments.md, round 3). Uses the base entry's
 * files; codes are cached under this id.
 */
function atSize(id: string, size: number, description: string): BackboneSpec {
  const base = networks.find((b) => b.id === id)!;
  const { imagenetHead: _head, source: _source, files: _files, ...rest } = base;
  return { ...rest, id: `${id}_at${size}`, name: `${base.name} at ${size} px`, description, inputSize: size, weightsOf: id, builtin: true };
}

const builtins: readonly BackboneSpec[] = [
  ...networks,
  atSize('mobilenet_v1_0.75_224', 320, 'The default (with v2 0.35 at 320 px): MobileNet v1 0.75 on 320-pixel images; 768-d codes.'),
  atSize('mobilenet_v2_0.35_224_notop', 320, "Teachable Machine's base on 320-pixel images; 1280-d pooled codes."),
];

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export function builtinBackbones(): readonly BackboneSpec[] {
  return builtins;
}

/** Built-ins first, then the user's own, in the order they were added. */
export function listBackbones(): BackboneSpec[] {
  return [...builtins, ...readUserBackbones()];
}

/** The spec for an id, or a GraftError naming the ids that exist. */
export function getBackbone(id: string): BackboneSpec {
  const found = listBackbones().find((b) => b.id === id);
  if (!found) {
    throw new GraftError(
      'not_found',
      `Unknown backbone "${id}". Known backbones: ${listBackbones().map((b) => b.id).join(', ')}. Add your own with "graft backbones add <folder>".`,
    );
  }
  return found;
}

// ---- user-added backbones -------------------------------------------------------------

function userBackbonesFile(): string {
  return path.join(userConfigDir(), 'backbones.json');
}

function readUserBackbones(): BackboneSpec[] {
  const file = userBackbonesFile();
  let raw: string;
  try {
    raw = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  try {
    const list = JSON.parse(raw) as BackboneSpec[];
    return Array.isArray(list) ? list.filter((b) => b && typeof b.id === 'string').map((b) => ({ ...b, builtin: false })) : [];
  } catch {
    // A damaged list must not take the built-ins down with it.
    return [];
  }
}

/** Records a user backbone (validated by the caller, see backbone.ts `inspectModelFolder`). */
export function saveUserBackbone(spec: BackboneSpec): void {
  if (!ID_PATTERN.test(spec.id)) {
    throw new GraftError('invalid_params', `"${spec.id}" cannot be a backbone id: use letters, digits, dots, dashes and underscores.`);
  }
  if (builtins.some((b) => b.id === spec.id)) {
    throw new GraftError('conflict', `"${spec.id}" is a built-in backbone; choose another id.`);
  }
  const list = readUserBackbones().filter((b) => b.id !== spec.id);
  list.push({ ...spec, builtin: false });
  writeJsonAtomic(userBackbonesFile(), list);
}

export function removeUserBackbone(id: string): boolean {
  if (builtins.some((b) => b.id === id)) {
    throw new GraftError('conflict', `"${id}" is built in and cannot be removed.`);
  }
  const list = readUserBackbones();
  const kept = list.filter((b) => b.id !== id);
  if (kept.length === list.length) return false;
  writeJsonAtomic(userBackbonesFile(), kept);
  return true;
}

function writeJsonAtomic(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(value, null, 2));
  fs.renameSync(tmp, file);
}
