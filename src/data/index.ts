/** The data layer's public face: image decode/encode/resize, image loading, dataset readers, locations. */
export * from './locations.js';
export * from './idx.js';
export * from './datasets.js';
export * from './cifar.js';
export * from './image-decode.js';
export * from './image-resize.js';
export * from './png.js';
export * from './image-resize-nearest.js';
export {
  FITS,
  type LoadImagesOptions,
  checkBounds,
  defaultFit,
  fitImage,
  imageToPixels,
  loadImages,
  loadImagesFor,
  luminance,
  type Fit,
  type ImageTarget,
} from './images.js';
/** The API's `images` namespace: `images.load(files, model)`, `images.loadImages(files, target)`, ... */
export * as images from './images.js';
