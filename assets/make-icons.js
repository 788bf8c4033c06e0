#!/usr/bin/env node
'use strict';
// Renders assets/icon.svg to the PNGs the packaged app uses (run after editing the SVG):
//   icon.png          1024 px: macOS (electron-builder makes the .icns) and Windows (the .ico)
//   icons/NxN.png     16…512 px: the Linux desktop icon set, and the window icon in development
const path = require('node:path');
const fs = require('node:fs');
const sharp = require('sharp');

const dir = __dirname;
const svg = fs.readFileSync(path.join(dir, 'icon.svg'));
const sizes = [16, 24, 32, 48, 64, 128, 256, 512];

async function render(size, file) {
  // Rasterise at a density that gives the target size directly: crisp small sizes.
  await sharp(svg, { density: (72 * size) / 1024 })
    .resize(size, size)
    .png({ compressionLevel: 9 })
    .toFile(file);
}

(async () => {
  fs.mkdirSync(path.join(dir, 'icons'), { recursive: true });
  await render(1024, path.join(dir, 'icon.png'));
  for (const size of sizes) await render(size, path.join(dir, 'icons', `${size}x${size}.png`));
  process.stdout.write(`Wrote icon.png and ${sizes.length} sizes in icons/\n`);
})().catch((err) => {
  process.stderr.write(`make-icons: ${err.message}\n`);
  process.exit(1);
});
