// Pictures from the node's own blobs. A report names a picture by its
// sha256; the page shows it only from this node (same origin,
// GET /<sha256>, Blossom), and only as an <img>, and only once the node
// has said (HEAD) that it holds the blob and that its bytes are an image
// (the node names the type from the bytes' magic numbers, never from what
// the uploader declared: docs/reports.md). Anything else stays words.

const IMAGE_TYPES = /^image\/(jpeg|png|gif|webp|avif)$/;
const HEX64 = /^[0-9a-f]{64}$/;

const known = new Map(); // sha256 -> Promise<boolean>

// heldImage resolves true when this node holds the blob and it is an image.
export function heldImage(sum) {
  if (!HEX64.test(sum)) return Promise.resolve(false);
  let p = known.get(sum);
  if (!p) {
    p = fetch('/' + sum, { method: 'HEAD', cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer' })
      .then((r) => r.ok && IMAGE_TYPES.test((r.headers.get('Content-Type') || '').split(';')[0].trim().toLowerCase()))
      .catch(() => false);
    known.set(sum, p);
    // A blob missing now may come with the next sync: ask again next time.
    p.then((ok) => { if (!ok) known.delete(sum); });
  }
  return p;
}

// imageSlot returns a placeholder with the picture's description that
// becomes the picture once the node has said it holds it.
export function imageSlot(h, t, sum, alt, cls) {
  const label = alt || t('feed.photo');
  const slot = h('span', { class: 'feed-img-slot ' + (cls || ''), 'data-blob': sum }, '[' + label + ']');
  heldImage(sum).then((ok) => {
    if (!ok) {
      slot.classList.add('feed-img-missing');
      slot.title = t('feed.photoNotHeld');
      return;
    }
    const img = h('img', { src: '/' + sum, alt: label, loading: 'lazy', decoding: 'async', referrerpolicy: 'no-referrer', class: 'feed-img', 'data-blob': sum });
    slot.replaceChildren(img);
    slot.classList.add('feed-img-held');
  });
  return slot;
}
