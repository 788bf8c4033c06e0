/**
 * A stand-alone script that uses an exported model the way someone outside Graft
 * would: plain @tensorflow/tfjs (wasm backend), sharp for decoding, and nothing else:
 * no Graft module is loaded. The preprocessing is written from metadata.json's words.
 * Tests run it in a child process: `node script.js <modelDir> <imagesDir>` prints
 * {"files":[…],"labels":[…],"probabilities":[[…]]}.
 */
export const PLAIN_TFJS_PREDICT_SCRIPT = String.raw`
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');
require('@tensorflow/tfjs-backend-wasm');
const sharp = require('sharp');

function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true })
    .filter((e) => !e.name.startsWith('.'))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : /\.(jpe?g|png)$/i.test(e.name) ? [path.join(dir, e.name)] : []));
}

(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
  const [dir, imagesDir] = process.argv.slice(2);
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'metadata.json'), 'utf8'));
  const modelJson = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  const weights = Buffer.concat(modelJson.weightsManifest.flatMap((g) => g.paths.map((p) => fs.readFileSync(path.join(dir, p)))));
  const artifacts = {
    modelTopology: modelJson.modelTopology,
    format: modelJson.format,
    signature: modelJson.signature,
    weightSpecs: modelJson.weightsManifest.flatMap((g) => g.weights),
    weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.length),
  };
  const model = modelJson.format === 'graph-model'
    ? await tf.loadGraphModel(tf.io.fromMemory(artifacts))
    : await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  const size = meta.imageSize;
  const files = walk(imagesDir);
  const labels = [];
  const probabilities = [];
  for (let start = 0; start < files.length; start += 10) {
    const chunk = files.slice(start, start + 10);
    const values = new Float32Array(chunk.length * size * size * 3);
    for (let i = 0; i < chunk.length; i++) {
      // metadata.graft.preprocessing: EXIF orientation, sRGB, alpha on white, center square,
      // resize to imageSize (Lanczos-3), RGB, value = pixel / 127.5 - 1.
      const rgb = await sharp(chunk[i]).rotate().toColourspace('srgb').flatten({ background: '#ffffff' })
        .resize(size, size, { fit: 'cover', position: 'centre', kernel: 'lanczos3' }).removeAlpha().raw().toBuffer();
      for (let j = 0; j < rgb.length; j++) values[i * rgb.length + j] = rgb[j] / 127.5 - 1;
    }
    const x = tf.tensor4d(values, [chunk.length, size, size, 3]);
    const y = model.predict(x);
    const data = await y.data();
    const k = meta.labels.length;
    for (let i = 0; i < chunk.length; i++) {
      const row = Array.from(data.slice(i * k, (i + 1) * k));
      probabilities.push(row);
      labels.push(meta.labels[row.indexOf(Math.max(...row))]);
    }
    tf.dispose([x, y]);
  }
  process.stdout.write(JSON.stringify({ files, labels, probabilities }));
})().catch((err) => {
  process.stderr.write(String(err && err.stack || err));
  process.exit(1);
});
`;
