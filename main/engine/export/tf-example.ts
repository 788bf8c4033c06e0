/**
 * Encodes `tf.train.Example` messages (tensorflow/core/example/example.proto,
 * feature.proto):
 *
 *   Example   { Features features = 1; }
 *   Features  { map<string, Feature> feature = 1; }   // entry: key = 1, value = 2
 *   Feature   { oneof kind { BytesList bytes_list = 1; FloatList float_list = 2; Int64List int64_list = 3; } }
 *   BytesList { repeated bytes value = 1; }
 *   FloatList { repeated float value = 1 [packed = true]; }
 *   Int64List { repeated int64 value = 1 [packed = true]; }
 */
import { ProtoWriter } from './protobuf-writer';

export type FeatureValue =
  | { kind: 'float'; values: ArrayLike<number> }
  | { kind: 'int64'; values: ReadonlyArray<number | bigint> }
  | { kind: 'bytes'; values: ReadonlyArray<Uint8Array | string> };

export function encodeExample(features: Record<string, FeatureValue>): Uint8Array {
  const w = new ProtoWriter();
  w.message(1, (featuresMsg) => {
    // Keys sorted so that the same record always has the same bytes.
    for (const key of Object.keys(features).sort()) {
      const feature = features[key];
      featuresMsg.message(1, (entry) => {
        entry.string(1, key);
        entry.message(2, (f) => {
          switch (feature.kind) {
            case 'bytes':
              f.message(1, (list) => {
                for (const v of feature.values) {
                  if (typeof v === 'string') list.string(1, v);
                  else list.bytes(1, v);
                }
              });
              break;
            case 'float':
              f.message(2, (list) => {
                if (feature.values.length) list.packedFloats(1, feature.values);
              });
              break;
            case 'int64':
              f.message(3, (list) => {
                if (feature.values.length) list.packedInt64s(1, feature.values);
              });
              break;
          }
        });
      });
    }
  });
  return w.finish();
}
