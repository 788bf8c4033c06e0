/** Graft's version, from package.json (three folders above dist/main/engine/export). */
export function appVersion(): string {
  try {
    return (require('../../../../package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** The TF.js version that wrote the model files. */
export function tfjsVersion(): string {
  try {
    return (require('@tensorflow/tfjs/package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
