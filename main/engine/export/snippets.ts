/**
 * Copy-paste code that loads and runs each exported model file, for report.html and the
 * Export dialog's result page. Every snippet feeds what metadata.json's preprocessing
 * describes: the centre square of the photo resized to the model's size, RGB, NHWC.
 * The ONNX and TFLite files take float32 values 0…255 (the model scales them itself);
 * the TF.js model takes −1…1.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ExportSnippet } from '../../../shared/api/export';
import type { DeployableResult } from './deployable-export';

export interface SnippetFile {
  format: 'tfjs' | 'onnx' | 'tflite';
  file: string;
  /** Square input size in pixels. */
  size: number;
  /** TF.js: 'layers-model' or 'graph-model', and the TF.js version it was written with. */
  modelFormat?: string;
  tfjsVersion?: string;
}

/** The snippets for the model files written into an export folder (read after they are written). */
export function snippetsFor(dir: string, deployable: DeployableResult | null): ExportSnippet[] {
  const files: SnippetFile[] = [];
  const metadata = path.join(dir, 'metadata.json');
  if (fs.existsSync(metadata)) {
    const m = JSON.parse(fs.readFileSync(metadata, 'utf8')) as { imageSize: number; tfjsVersion: string; graft?: { modelFormat?: string } };
    files.push({ format: 'tfjs', file: 'model.json', size: m.imageSize, modelFormat: m.graft?.modelFormat, tfjsVersion: m.tfjsVersion });
  }
  // One snippet per format: the first file written of each (float32 before quantized ones).
  for (const format of ['onnx', 'tflite'] as const) {
    const f = deployable?.files.find((x) => x.format === format);
    if (f) files.push({ format, file: f.file, size: f.inputs[0].shape[1] as number });
  }
  return exportSnippets(files);
}

export function exportSnippets(files: readonly SnippetFile[]): ExportSnippet[] {
  const out: ExportSnippet[] = [];
  for (const f of files) {
    if (f.format === 'onnx') {
      out.push({ file: f.file, title: 'Python (onnxruntime)', language: 'python', code: pythonOnnx(f) });
      out.push({ file: f.file, title: 'Node (onnxruntime-node)', language: 'javascript', code: nodeOnnx(f) });
    } else if (f.format === 'tflite') {
      out.push({ file: f.file, title: 'Android / Kotlin (TFLite Interpreter)', language: 'kotlin', code: kotlinTflite(f) });
    } else {
      out.push({ file: f.file, title: 'Web page (TensorFlow.js)', language: 'html', code: webTfjs(f) });
    }
  }
  return out;
}

function pythonOnnx(f: SnippetFile): string {
  return `# pip install onnxruntime pillow numpy
import numpy as np, onnxruntime as ort
from PIL import Image, ImageOps

labels = open("labels.txt").read().split("\\n")[:-1]
session = ort.InferenceSession("${f.file}")

def load(path, size=${f.size}):
    img = ImageOps.exif_transpose(Image.open(path)).convert("RGB")
    side = min(img.size)
    left, top = (img.width - side) // 2, (img.height - side) // 2
    img = img.crop((left, top, left + side, top + side)).resize((size, size), Image.LANCZOS)
    return np.asarray(img, dtype=np.float32)[None]  # [1, ${f.size}, ${f.size}, 3], 0..255

probabilities, features = session.run(["probabilities", "features"], {"image": load("photo.jpg")})
print(labels[int(probabilities[0].argmax())], float(probabilities[0].max()))`;
}

function nodeOnnx(f: SnippetFile): string {
  return `// npm install onnxruntime-node sharp
const fs = require('node:fs');
const ort = require('onnxruntime-node');
const sharp = require('sharp');

const labels = fs.readFileSync('labels.txt', 'utf8').split('\\n').slice(0, -1);
async function classify(file) {
  const session = await ort.InferenceSession.create('${f.file}');
  const img = sharp(file).rotate();
  const { width, height } = await img.metadata();
  const side = Math.min(width, height);
  const rgb = await img
    .extract({ left: Math.floor((width - side) / 2), top: Math.floor((height - side) / 2), width: side, height: side })
    .resize(${f.size}, ${f.size}).removeAlpha().raw().toBuffer();
  const image = new ort.Tensor('float32', Float32Array.from(rgb), [1, ${f.size}, ${f.size}, 3]);
  const { probabilities } = await session.run({ image });
  const p = Array.from(probabilities.data);
  return { label: labels[p.indexOf(Math.max(...p))], probability: Math.max(...p) };
}
classify('photo.jpg').then(console.log);`;
}

function kotlinTflite(f: SnippetFile): string {
  return `// build.gradle: implementation("org.tensorflow:tensorflow-lite:2.16.1")
// Put ${f.file} and labels.txt in src/main/assets (aaptOptions { noCompress "tflite" }).
import android.content.Context
import android.graphics.Bitmap
import android.media.ThumbnailUtils
import org.tensorflow.lite.Interpreter
import java.io.FileInputStream
import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.nio.channels.FileChannel

fun classify(context: Context, photo: Bitmap): Pair<String, Float> {
    val fd = context.assets.openFd("${f.file}")
    val model = FileInputStream(fd.fileDescriptor).channel.map(FileChannel.MapMode.READ_ONLY, fd.startOffset, fd.declaredLength)
    val labels = context.assets.open("labels.txt").bufferedReader().readLines()
    val interpreter = Interpreter(model)
    // Centre square, ${f.size}×${f.size}, RGB floats 0..255 (no scaling: the model does it).
    val square = ThumbnailUtils.extractThumbnail(photo, ${f.size}, ${f.size})
    val input = ByteBuffer.allocateDirect(4 * ${f.size} * ${f.size} * 3).order(ByteOrder.nativeOrder())
    val pixels = IntArray(${f.size} * ${f.size})
    square.getPixels(pixels, 0, ${f.size}, 0, 0, ${f.size}, ${f.size})
    for (p in pixels) {
        input.putFloat(((p shr 16) and 0xff).toFloat())
        input.putFloat(((p shr 8) and 0xff).toFloat())
        input.putFloat((p and 0xff).toFloat())
    }
    // Outputs: 0 "probabilities" [1, labels], 1 "features".
    val probabilities = Array(1) { FloatArray(labels.size) }
    val features = Array(1) { FloatArray(interpreter.getOutputTensor(1).shape()[1]) }
    interpreter.runForMultipleInputsOutputs(arrayOf(input), mapOf(0 to probabilities, 1 to features))
    interpreter.close()
    val best = probabilities[0].indices.maxByOrNull { probabilities[0][it] }!!
    return labels[best] to probabilities[0][best]
}`;
}

function webTfjs(f: SnippetFile): string {
  const load = f.modelFormat === 'graph-model' ? 'tf.loadGraphModel' : 'tf.loadLayersModel';
  return `<script src="https://cdn.jsdelivr.net/npm/@tensorflow/tfjs@${f.tfjsVersion ?? '4.22.0'}/dist/tf.min.js"><\/script>
<img id="photo" src="flower.jpg" crossorigin="anonymous">
<script>
  // Serve this page and the exported folder over http (fetch cannot read file://).
  (async () => {
    const model = await ${load}('./${f.file}');
    const meta = await (await fetch('./metadata.json')).json();
    const img = document.getElementById('photo');
    await img.decode();
    const probs = tf.tidy(() => {
      const pixels = tf.browser.fromPixels(img);          // RGB, 0…255
      const [h, w] = pixels.shape;
      const s = Math.min(h, w);                            // centre square
      const square = pixels.slice([(h - s) >> 1, (w - s) >> 1, 0], [s, s, 3]);
      const input = tf.image
        .resizeBilinear(square, [meta.imageSize, meta.imageSize])
        .toFloat().div(127.5).sub(1)                       // 0…255 → -1…1
        .expandDims(0);
      return model.predict(input).dataSync();
    });
    const ranked = meta.labels
      .map((label, i) => ({ label, probability: probs[i] }))
      .sort((a, b) => b.probability - a.probability);
    console.log(ranked);
  })();
<\/script>`;
}
