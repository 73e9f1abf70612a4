// QR codes: drawn with qrcode-generator; read from a picture with jsQR,
// which is loaded only when a picture must be read. (The camera itself
// needs a secure context, which a page over plain http:// is not; a file
// input with capture opens the phone's camera app instead.)
import qrcode from 'qrcode-generator';
import { el } from './ui.js';
import { t } from './i18n.js';

// qrCanvas draws text as a QR code (byte mode, UTF-8, level M, as
// `caravan qr show` does) on a canvas about size CSS pixels wide.
export function qrCanvas(text, label, size = 264) {
  const q = qrcode(0, 'M');
  q.addData(String.fromCharCode(...new TextEncoder().encode(text)), 'Byte');
  q.make();
  const n = q.getModuleCount();
  const quiet = 4;
  const cells = n + 2 * quiet;
  const scale = Math.max(2, Math.floor((size * (window.devicePixelRatio || 1)) / cells));
  const c = el('canvas', { class: 'qr', role: 'img', 'aria-label': label, width: cells * scale, height: cells * scale });
  const g = c.getContext('2d');
  g.fillStyle = '#fff';
  g.fillRect(0, 0, c.width, c.height);
  g.fillStyle = '#000';
  for (let r = 0; r < n; r++) {
    for (let col = 0; col < n; col++) {
      if (q.isDark(r, col)) g.fillRect((col + quiet) * scale, (r + quiet) * scale, scale, scale);
    }
  }
  return c;
}

let jsQRLoading = null;

function loadJsQR() {
  if (window.jsQR) return Promise.resolve(window.jsQR);
  if (!jsQRLoading) {
    jsQRLoading = new Promise((resolve, reject) => {
      let src = '/phone/vendor/jsqr/dist/jsQR.js';
      // The import map knows the file's versioned address, which the
      // browser may keep.
      try { src = import.meta.resolve(src); } catch { /* an older browser: the plain address */ }
      const s = el('script', { src });
      s.addEventListener('load', () => (window.jsQR ? resolve(window.jsQR) : reject(new Error('jsQR'))));
      s.addEventListener('error', () => { jsQRLoading = null; reject(new Error('jsQR')); });
      document.head.append(s);
    });
  }
  return jsQRLoading;
}

async function bitmapOf(file) {
  if (window.createImageBitmap) {
    try { return await createImageBitmap(file); } catch { /* try an <img> */ }
  }
  const url = URL.createObjectURL(file);
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    return img;
  } finally {
    URL.revokeObjectURL(url);
  }
}

// readQR finds a QR code in a picture (a File from an <input type=file>)
// and resolves to its text, or to null when there is none to read. It
// throws when the picture cannot be decoded at all.
export async function readQR(file) {
  const [jsQR, img] = await Promise.all([loadJsQR(), bitmapOf(file)]);
  const w0 = img.width, h0 = img.height;
  // A phone's photo is large; the code is read faster, and often better,
  // from a smaller copy. Try a few sizes.
  for (const max of [1000, 1600, 600, Math.max(w0, h0)]) {
    const k = Math.min(1, max / Math.max(w0, h0));
    const w = Math.max(1, Math.round(w0 * k)), h = Math.max(1, Math.round(h0 * k));
    const c = document.createElement('canvas');
    c.width = w; c.height = h;
    const g = c.getContext('2d', { willReadFrequently: true });
    g.drawImage(img, 0, 0, w, h);
    const found = jsQR(g.getImageData(0, 0, w, h).data, w, h, { inversionAttempts: 'attemptBoth' });
    if (found && typeof found.data === 'string' && found.data) {
      const bytes = found.binaryData ? Uint8Array.from(found.binaryData) : null;
      if (bytes) {
        try { return new TextDecoder('utf-8', { fatal: true }).decode(bytes); } catch { /* not UTF-8: as jsQR read it */ }
      }
      return found.data;
    }
    if (k === 1) break;
  }
  return null;
}

// pictureInputs are two buttons, one that opens the camera app and one
// that opens the gallery, which call onText with the text of the QR code
// in the picture, or onError with 'none' (no code found) or 'unreadable'
// (not a picture).
export function pictureInputs(onText, onError) {
  const one = (label, capture, cls) => {
    const input = el('input', { type: 'file', accept: 'image/*', capture: capture ? 'environment' : null, class: 'visually-hidden', tabindex: '-1', 'aria-hidden': 'true' });
    const btn = el('button', { type: 'button', class: cls }, label);
    btn.addEventListener('click', () => input.click());
    input.addEventListener('change', async () => {
      const f = input.files && input.files[0];
      input.value = '';
      if (!f) return;
      btn.disabled = true;
      btn.setAttribute('aria-busy', 'true');
      try {
        const text = await readQR(f);
        if (text) onText(text); else onError('none');
      } catch {
        onError('unreadable');
      } finally {
        btn.disabled = false;
        btn.removeAttribute('aria-busy');
      }
    });
    return [btn, input];
  };
  return el('div', { class: 'picture-inputs' }, one(t('qr.takePhoto'), true, 'secondary'), one(t('qr.choosePicture'), false, 'quiet'));
}
