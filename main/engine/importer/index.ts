/** The importer's public face: import a folder; decode an image as the importer does. */
export { importFolder } from './import-folder';
export type { ImportOptions, ImportStage } from './import-folder';
export { openImage, thumbnailFromBytes, jpegFromBytes, ImageDecodeError, MAX_PIXELS, THUMBNAIL_SIZE, PREVIEW_SIZE } from './decode';
export { scanFolder, resolveImportRoot } from './scan';
export { isImageFileName, folderClassOf } from './formats';
