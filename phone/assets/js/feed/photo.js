// A photo made fit to publish, on the phone, before anything of it is
// hashed, signed or sent: decoded to pixels, drawn on a canvas at most
// MAX_SIDE pixels on its longer side (turned upright as its EXIF
// orientation says), and encoded again as a JPEG. Only pixels cross the
// canvas, so EXIF (camera, serial number, time, GPS position), XMP, IPTC,
// ICC profiles and comments stay behind; cleanJPEG then drops every
// APP1..APP15 and COM segment the encoder might have written all the
// same, keeping only the JFIF header. What the picture itself shows is
// the author's to judge.
//
// The hash is sha256 from @noble/hashes: on plain http the page is not a
// secure context, and crypto.subtle is not there.

import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

export const MAX_SIDE = 1600;
export const MAX_INPUT = 48 << 20; // a phone's camera photo is well under this
const QUALITY = 0.85;

// PhotoError carries the catalogue key of what went wrong.
export class PhotoError extends Error {
  constructor(key) {
    super(key);
    this.key = key;
  }
}

async function decode(file) {
  if (typeof createImageBitmap === 'function') {
    try {
      return await createImageBitmap(file, { imageOrientation: 'from-image' });
    } catch { /* not an image this browser reads; try an <img> */ }
  }
  const url = URL.createObjectURL(file);
  try {
    const img = new Image();
    img.decoding = 'async';
    img.src = url;
    await img.decode();
    return img;
  } catch {
    throw new PhotoError('feed.photo.unreadable');
  } finally {
    URL.revokeObjectURL(url);
  }
}

// cleanPhoto returns {bytes, sha256, width, height, type, canvas}: the
// photo as it will be published, and a canvas of it to show.
export async function cleanPhoto(file) {
  if (!file || !file.size) throw new PhotoError('feed.photo.unreadable');
  if (file.size > MAX_INPUT) throw new PhotoError('feed.photo.tooLarge');
  const src = await decode(file);
  const w0 = src.width || src.naturalWidth;
  const h0 = src.height || src.naturalHeight;
  if (!w0 || !h0) throw new PhotoError('feed.photo.unreadable');
  const scale = Math.min(1, MAX_SIDE / Math.max(w0, h0));
  const width = Math.max(1, Math.round(w0 * scale));
  const height = Math.max(1, Math.round(h0 * scale));
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const g = canvas.getContext('2d');
  g.fillStyle = '#fff'; // JPEG has no transparency: white behind a PNG's
  g.fillRect(0, 0, width, height);
  g.imageSmoothingQuality = 'high';
  g.drawImage(src, 0, 0, width, height);
  if (typeof src.close === 'function') src.close();
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', QUALITY));
  if (!blob) throw new PhotoError('feed.photo.encode');
  const bytes = cleanJPEG(new Uint8Array(await blob.arrayBuffer()));
  return { bytes, sha256: bytesToHex(sha256(bytes)), width, height, type: 'image/jpeg', canvas };
}

// cleanJPEG returns the JPEG without its APP1..APP15 and COM segments
// (EXIF, XMP, ICC, IPTC, comments). It throws on bytes that are not a
// JPEG it can walk, rather than pass them on unexamined.
export function cleanJPEG(b) {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) throw new PhotoError('feed.photo.encode');
  const parts = [b.subarray(0, 2)];
  let i = 2;
  for (;;) {
    if (i + 4 > b.length || b[i] !== 0xff) throw new PhotoError('feed.photo.encode');
    const marker = b[i + 1];
    if (marker === 0xff) { i++; continue; } // fill byte
    if (marker === 0xda) { // start of scan: the rest is image data
      parts.push(b.subarray(i));
      break;
    }
    const len = (b[i + 2] << 8) | b[i + 3];
    if (len < 2 || i + 2 + len > b.length) throw new PhotoError('feed.photo.encode');
    const drop = (marker >= 0xe1 && marker <= 0xef) || marker === 0xfe;
    if (!drop) parts.push(b.subarray(i, i + 2 + len));
    i += 2 + len;
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
