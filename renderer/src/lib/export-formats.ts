/** What the Export dialog offers, in the words people read there and on its result page. */
import type { DeployableFile, ExportFormatName, ExportQuantization } from 'shared/api/export';

export interface ExportChoice {
  id: ExportFormatName;
  label: string;
  /** One line: what is written and where it runs. */
  detail: string;
  needsModel: boolean;
}

/** The model itself, one file format per place it runs. */
export const MODEL_FORMATS: readonly ExportChoice[] = [
  { id: 'tfjs', label: 'TensorFlow.js', detail: 'model.json + weights; runs in a web page or in Node.', needsModel: true },
  { id: 'onnx', label: 'ONNX', detail: 'model.onnx; runs in ONNX Runtime on servers and desktops (Python, C#, Java, C++, Node).', needsModel: true },
  { id: 'tflite', label: 'TensorFlow Lite', detail: 'model.tflite; runs on Android, iOS, Raspberry Pi and other small devices.', needsModel: true },
];

/** What goes with it, or without it. */
export const OTHER_FORMATS: readonly ExportChoice[] = [
  { id: 'report', label: 'Model report', detail: 'report.html: accuracy, per-class scores, confusion matrix, likely label mistakes.', needsModel: true },
  { id: 'dataset', label: 'Labelled dataset', detail: 'The images copied into one folder per class, with a manifest.csv.', needsModel: false },
  { id: 'codes', label: 'Image codes', detail: 'The cached feature vectors (codes.npy, labels.npy) for your own experiments.', needsModel: false },
];

/** The extra TensorFlow Lite files, with what they trade. */
export const QUANTIZATION_CHOICES: ReadonlyArray<{ id: ExportQuantization; label: string; detail: string }> = [
  { id: 'float16', label: 'float16', detail: 'half the size, nearly the same answers' },
  { id: 'int8', label: 'int8', detail: 'about a quarter of the size; answers can differ slightly' },
];

export function deployableFormatName(format: DeployableFile['format']): string {
  return format === 'onnx' ? 'ONNX' : 'TensorFlow Lite';
}
