/**
 * A stand-alone script that runs an exported .onnx or .tflite file the way someone outside
 * Graft would: plain onnxruntime-node, or plain LiteRT.js (Google's TFLite interpreter),
 * with sharp for decoding, and nothing else: no Graft module is loaded. The input is
 * prepared from the README's and deployable.json's words. Tests run it in a child process:
 * `node script.js <model file> <list.json>` (a JSON array of image paths) prints
 * {"labels":[…],"probabilities":[[…]]}.
 */
export const PLAIN_DEPLOYABLE_PREDICT_SCRIPT = String.raw`
'use strict';
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const { pathToFileURL } = require('url');
const sharp = require('sharp');

// README: EXIF orientation, sRGB, transparency on white, centre square resized to the
// input's size (Lanczos-3), RGB, NHWC float32 with values 0…255 (the model scales them).
async function pixels(file, size) {
  const rgb = await sharp(file).rotate().toColourspace('srgb').flatten({ background: '#ffffff' })
    .resize(size, size, { fit: 'cover', position: 'centre' }).removeAlpha().raw().toBuffer();
  return Float32Array.from(rgb);
}

async function openOnnx(file) {
  const ort = require('onnxruntime-node');
  const session = await ort.InferenceSession.create(file);
  return async (feeds, n) => {
    const tensors = {};
    for (const [name, { data, size }] of Object.entries(feeds)) tensors[name] = new ort.Tensor('float32', data, [n, size, size, 3]);
    return (await session.run(tensors)).probabilities.data;
  };
}

// LiteRT.js is written for browsers: it loads its Emscripten glue with importScripts.
async function openTflite(file) {
  const entry = require.resolve('@litertjs/core');
  const litert = await import(pathToFileURL(entry).href);
  globalThis.self = globalThis;
  globalThis.Module = { print() {}, printErr() {} };
  globalThis.importScripts = (url) => {
    const module = { exports: {} };
    vm.runInThisContext('(function (exports, require, module, __filename, __dirname) {' + fs.readFileSync(url, 'utf8') + '\n})', { filename: url })(module.exports, require, module, url, path.dirname(url));
    globalThis.ModuleFactory = module.exports;
  };
  const warn = console.warn;
  console.warn = () => {};
  await litert.loadLiteRt(path.join(path.dirname(entry), '..', 'wasm') + path.sep);
  console.warn = warn;
  const model = await litert.loadAndCompile(new Uint8Array(fs.readFileSync(file)), { accelerator: 'wasm' });
  const inputs = model.getInputDetails();
  return async (feeds) => {
    const outs = await model.run(inputs.map((d) => new litert.Tensor(feeds[d.name].data, Array.from(d.shape))));
    const at = model.getOutputDetails().findIndex((d) => d.name === 'probabilities');
    return outs[at].toTypedArray();
  };
}

(async () => {
  const [file, listFile] = process.argv.slice(2);
  const dir = path.dirname(file);
  const described = JSON.parse(fs.readFileSync(path.join(dir, 'deployable.json'), 'utf8')).files.find((f) => f.file === path.basename(file));
  const labels = fs.readFileSync(path.join(dir, 'labels.txt'), 'utf8').split('\n').filter(Boolean);
  const files = JSON.parse(fs.readFileSync(listFile, 'utf8'));
  const tflite = file.endsWith('.tflite');
  const run = tflite ? await openTflite(file) : await openOnnx(file);
  // A TFLite file takes one image a call; ONNX a batch.
  const batch = tflite ? 1 : 8;
  const probabilities = [];
  for (let start = 0; start < files.length; start += batch) {
    const chunk = files.slice(start, start + batch);
    const feeds = {};
    for (const input of described.inputs) {
      const size = input.shape[1];
      const data = new Float32Array(chunk.length * size * size * 3);
      for (let i = 0; i < chunk.length; i++) data.set(await pixels(chunk[i], size), i * size * size * 3);
      feeds[input.name] = { data, size };
    }
    const p = await run(feeds, chunk.length);
    for (let i = 0; i < chunk.length; i++) probabilities.push(Array.from(p.slice(i * labels.length, (i + 1) * labels.length)));
  }
  process.stdout.write(JSON.stringify({ labels, probabilities }));
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
`;
