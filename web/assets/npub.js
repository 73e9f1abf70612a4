// NIP-19 npub form of a public key, so a person sees the same form as in
// every Nostr client. (bech32 is an encoding, not cryptography; the
// browser tests check it against go-nostr's nip19.)
const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
function polymod(values) {
  const G = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
  let chk = 1;
  for (const v of values) {
    const b = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((b >>> i) & 1) chk ^= G[i];
  }
  return chk;
}
export function npub(hex) {
  if (!/^[0-9a-f]{64}$/i.test(hex || '')) return String(hex || '');
  const words = [];
  let acc = 0, bits = 0;
  for (let i = 0; i < 64; i += 2) {
    acc = ((acc << 8) | parseInt(hex.slice(i, i + 2), 16)) & 0xfff;
    bits += 8;
    while (bits >= 5) { bits -= 5; words.push((acc >>> bits) & 31); }
  }
  if (bits > 0) words.push((acc << (5 - bits)) & 31);
  const hrp = 'npub';
  const expand = [...hrp].map((c) => c.charCodeAt(0) >> 5).concat([0], [...hrp].map((c) => c.charCodeAt(0) & 31));
  const mod = polymod(expand.concat(words, [0, 0, 0, 0, 0, 0])) ^ 1;
  const sum = [];
  for (let i = 0; i < 6; i++) sum.push((mod >>> (5 * (5 - i))) & 31);
  return hrp + '1' + words.concat(sum).map((w) => CHARSET[w]).join('');
}
