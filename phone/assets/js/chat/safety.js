// Safety numbers, exactly as package msg computes them (msg/safety.go), so
// a phone and a Caravan node show the same number for the same two keys:
// 60 digits in twelve groups of five. Each half comes from one key,
// hashed 5200 times with SHA-512; the halves are ordered by key.
import { sha512 } from '@noble/hashes/sha2.js';
import { hexToBytes } from '@noble/hashes/utils.js';

const LABEL = new TextEncoder().encode('caravan safety number v1\0');
const ROUNDS = 5200;

function half(pub) {
  if (!/^[0-9a-f]{64}$/.test(pub)) throw new Error(`${pub} is not a public key`);
  const key = hexToBytes(pub);
  let h = new Uint8Array(LABEL.length + key.length);
  h.set(LABEL);
  h.set(key, LABEL.length);
  for (let i = 0; i < ROUNDS; i++) {
    const buf = new Uint8Array(h.length + key.length);
    buf.set(h);
    buf.set(key, h.length);
    h = sha512(buf);
  }
  // Six chunks of five bytes, each as five digits (mod 100000).
  let out = '';
  for (let i = 0; i < 6; i++) {
    let v = 0;
    for (let j = 0; j < 5; j++) v = v * 256 + h[i * 5 + j]; // < 2^40: exact in a double
    out += String(v % 100000).padStart(5, '0');
  }
  return out;
}

// safetyNumber is the number two people with keys a and b (hex) compare.
export function safetyNumber(a, b) {
  let ha = half(a), hb = half(b);
  if (a > b) [ha, hb] = [hb, ha];
  const digits = ha + hb;
  const groups = [];
  for (let i = 0; i < digits.length; i += 5) groups.push(digits.slice(i, i + 5));
  return groups.join(' ');
}
