/**
 * The TensorFlow Lite model metadata that Android and iOS tools read (Android Studio's ML
 * Model Binding, the TFLite Task Library's ImageClassifier, the metadata extractor): a
 * `ModelMetadata` FlatBuffer of tflite-support's published metadata_schema.fbs (file
 * identifier "M001", parser version 1.0.0), stored in the model's metadata under the name
 * "TFLITE_METADATA"; and the files it names (the labels) packed onto the end of the model
 * as a zip archive, which is how those tools find them — the model stays a valid FlatBuffer,
 * since a FlatBuffer is read from its start and a zip from its end.
 *
 * The field numbers below are the schema's field order (a union takes two slots: its type,
 * then its value).
 */
import { Builder, type Offset } from 'flatbuffers';
import { crc32 } from '../export/crc32c';
import { floatVector, offsetVector } from './tflite-writer';

export const TFLITE_METADATA_NAME = 'TFLITE_METADATA';

/** metadata_schema.fbs enums and union members. */
const AssociatedFileType = { TENSOR_AXIS_LABELS: 2 } as const;
const ContentProperties = { FeatureProperties: 1, ImageProperties: 2 } as const;
const ColorSpace = { RGB: 1 } as const;
const ProcessUnitOptions = { NormalizationOptions: 1 } as const;

export interface ClassifierMetadata {
  name: string;
  description: string;
  version: string;
  author: string;
  /** One per image input of the model, in its order. */
  inputs: Array<{ name: string; size: number }>;
  /** The labels file the probabilities' axis follows (packed with `packAssociatedFiles`). */
  labelsFile: string;
}

/**
 * The ModelMetadata bytes of a Graft classifier: inputs are RGB images whose values the
 * model takes as they are (mean 0, std 1: 0…255); outputs "probabilities" (labelled by
 * the labels file) and "features".
 */
export function classifierMetadata(m: ClassifierMetadata): Uint8Array {
  const b = new Builder(4096);
  const str = (s: string) => b.createString(s);
  const floats = (values: number[]) => floatVector(b, values);
  const offsets = (values: Offset[]) => offsetVector(b, values);
  const stats = (min: number, max: number) => {
    const maxV = floats([max]);
    const minV = floats([min]);
    b.startObject(2);
    b.addFieldOffset(0, maxV, 0);
    b.addFieldOffset(1, minV, 0);
    return b.endObject();
  };
  const content = (type: number, properties: Offset) => {
    b.startObject(3);
    b.addFieldInt8(0, type, 0);
    b.addFieldOffset(1, properties, 0);
    return b.endObject();
  };
  const tensor = (fields: { name: string; description: string; content: Offset; processUnits?: Offset; stats?: Offset; files?: Offset }) => {
    const name = str(fields.name);
    const description = str(fields.description);
    b.startObject(7);
    b.addFieldOffset(0, name, 0);
    b.addFieldOffset(1, description, 0);
    b.addFieldOffset(3, fields.content, 0);
    if (fields.processUnits) b.addFieldOffset(4, fields.processUnits, 0);
    if (fields.stats) b.addFieldOffset(5, fields.stats, 0);
    if (fields.files) b.addFieldOffset(6, fields.files, 0);
    return b.endObject();
  };

  const inputs = m.inputs.map((input) => {
    b.startObject(2);
    b.addFieldInt32(0, input.size, 0);
    b.addFieldInt32(1, input.size, 0);
    const size = b.endObject();
    b.startObject(2);
    b.addFieldInt8(0, ColorSpace.RGB, 0);
    b.addFieldOffset(1, size, 0);
    const image = b.endObject();
    const mean = floats([0]);
    const std = floats([1]);
    b.startObject(2);
    b.addFieldOffset(0, mean, 0);
    b.addFieldOffset(1, std, 0);
    const normalization = b.endObject();
    b.startObject(2);
    b.addFieldInt8(0, ProcessUnitOptions.NormalizationOptions, 0);
    b.addFieldOffset(1, normalization, 0);
    const unit = b.endObject();
    return tensor({
      name: input.name,
      description: `RGB image, ${input.size}×${input.size}: the centre square of the photo, resized; values 0…255 as they are (the model scales them)`,
      content: content(ContentProperties.ImageProperties, image),
      processUnits: offsets([unit]),
      stats: stats(0, 255),
    });
  });
  const feature = () => {
    b.startObject(0);
    return b.endObject();
  };
  const labelsName = str(m.labelsFile);
  const labelsDescription = str('The labels, one a line, in the order of the probabilities');
  b.startObject(4);
  b.addFieldOffset(0, labelsName, 0);
  b.addFieldOffset(1, labelsDescription, 0);
  b.addFieldInt8(2, AssociatedFileType.TENSOR_AXIS_LABELS, 0);
  const labels = b.endObject();
  const probabilities = tensor({ name: 'probabilities', description: 'The probability of each label', content: content(ContentProperties.FeatureProperties, feature()), stats: stats(0, 1), files: offsets([labels]) });
  const features = tensor({ name: 'features', description: 'The pooled network features the classifier reads (an image embedding)', content: content(ContentProperties.FeatureProperties, feature()) });

  const subgraphName = str(m.name);
  const inputVec = offsets(inputs);
  const outputVec = offsets([probabilities, features]);
  b.startObject(7);
  b.addFieldOffset(0, subgraphName, 0);
  b.addFieldOffset(2, inputVec, 0);
  b.addFieldOffset(3, outputVec, 0);
  const subgraph = b.endObject();

  const name = str(m.name);
  const description = str(m.description);
  const version = str(m.version);
  const subgraphs = offsets([subgraph]);
  const author = str(m.author);
  const parser = str('1.0.0');
  b.startObject(8);
  b.addFieldOffset(0, name, 0);
  b.addFieldOffset(1, description, 0);
  b.addFieldOffset(2, version, 0);
  b.addFieldOffset(3, subgraphs, 0);
  b.addFieldOffset(4, author, 0);
  b.addFieldOffset(7, parser, 0);
  b.finish(b.endObject(), 'M001');
  return b.asUint8Array().slice();
}

/**
 * The model with `files` packed onto its end as a zip archive (stored, not compressed),
 * its offsets counted from the start of the whole file, as TFLite's metadata populator
 * writes them.
 */
export function packAssociatedFiles(model: Uint8Array, files: Array<{ name: string; bytes: Uint8Array }>): Uint8Array {
  const parts: Uint8Array[] = [model];
  let offset = model.length;
  const central: Uint8Array[] = [];
  for (const f of files) {
    const name = new TextEncoder().encode(f.name);
    const crc = crc32(f.bytes);
    const local = new DataView(new ArrayBuffer(30));
    local.setUint32(0, 0x04034b50, true);
    local.setUint16(4, 10, true); // version needed: 1.0
    local.setUint16(8, 0, true); // stored
    local.setUint16(12, 0x21, true); // 1980-01-01, for files that never differ by the day they were written
    local.setUint32(14, crc, true);
    local.setUint32(18, f.bytes.length, true);
    local.setUint32(22, f.bytes.length, true);
    local.setUint16(26, name.length, true);
    const entry = new DataView(new ArrayBuffer(46));
    entry.setUint32(0, 0x02014b50, true);
    entry.setUint16(4, 20, true);
    entry.setUint16(6, 10, true);
    entry.setUint16(14, 0x21, true);
    entry.setUint32(16, crc, true);
    entry.setUint32(20, f.bytes.length, true);
    entry.setUint32(24, f.bytes.length, true);
    entry.setUint16(28, name.length, true);
    entry.setUint32(42, offset, true);
    parts.push(new Uint8Array(local.buffer), name, f.bytes);
    central.push(new Uint8Array(entry.buffer), name);
    offset += 30 + name.length + f.bytes.length;
  }
  const centralSize = central.reduce((a, p) => a + p.length, 0);
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, 0x06054b50, true);
  end.setUint16(8, files.length, true);
  end.setUint16(10, files.length, true);
  end.setUint32(12, centralSize, true);
  end.setUint32(16, offset, true);
  parts.push(...central, new Uint8Array(end.buffer));
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
