// Package bundle reads and writes bundle files: events and the blobs they
// reference, compressed and encrypted, for carrying on USB sticks and SD
// cards when no network works.
//
// A bundle is meant to be found on a searched stick and show nothing: every
// byte of it is indistinguishable from random, with no magic string, no
// readable header and no public key in clear form. That rules out age's file
// format (its header is text that names it, and its recipients are X25519
// keys rather than the Nostr keys people already exchange); the primitives
// are the same ones age uses, from golang.org/x/crypto and btcec.
//
// # Format, version 1, second edition
//
// A bundle is one or more parts (files). Every part is
//
//	slots   8 x 128 bytes: ways to open the bundle key K
//	header  12-byte nonce || ChaCha20-Poly1305(Kp, nonce, 96 bytes) (124 bytes)
//	frames  ChaCha20-Poly1305(Kf, index || final, plaintext), 65,536 bytes
//	        each; only the bundle's last frame is shorter
//	padding random bytes, in every part but the last (see below)
//	slots   8 x 128 bytes again: the same ways to open K, sealed anew
//
// K is 32 random bytes. Kp and Kf are HKDF-SHA256(K) with the infos
// "caravan bundle v1 part" and "caravan bundle v1 frames". Unused slots are
// random bytes. A slot opens K in one of two ways:
//
//	passphrase (slot 0 only): salt(16) || AEAD(scrypt(NFKC(passphrase),
//	    salt, N=2^18, r=8, p=1), zero nonce, version(1) || K) || random
//	recipient (any slot): E(64) || AEAD(HKDF-SHA256(x(e*R), salt E || R,
//	    "caravan bundle v1 recipient"), zero nonce, version(1) || K) || random
//
// where E is the ephemeral key e*G in BIP-324 ElligatorSwift encoding (64
// bytes that are uniformly random), and R the recipient's Nostr public key
// (x-only, as in an npub). A reader tries slot 0 with a passphrase, or every
// slot with each of its secret keys; a wrong key and a file that is not a
// bundle look the same, by design.
//
// The slots at the end of a part are made like the first, with their own
// salt, ephemeral keys and random filling, so they share no bytes with
// them. A reader tries them when the first slots do not open (a damaged
// start); a part that opens only there has its frames end where they
// begin. The first edition of version 1 had no slots at the end; its
// bundles read the same (the last kilobyte is then frames, which no key
// opens), and its readers read bundles of this edition, which only add
// bytes after the frames that the header counts. The version sealed in
// the slots is therefore still 1.
//
// The part header's plaintext holds the bundle's random id, the part's
// number and the count of parts, where its frames start in the bundle, and
// the bundle's totals, so that any one part says what the whole was.
//
// Frames carry one stream of records. A frame's nonce is its index in the
// bundle (11 bytes, big-endian) and a last byte that is 1 only for the
// bundle's final frame, so a bundle cut at a frame boundary is noticed. A
// frame's plaintext is
//
//	flags(1) first(4) n(4) payload(n) zero padding
//
// flags bit 0 says the payload is zstd-compressed; first is the offset in
// the decoded payload of the first record that starts in this frame
// (0xFFFFFFFF if none), so a reader resumes after a damaged frame. Each
// frame is compressed on its own for the same reason. A record is a type
// byte, a uvarint length and a body:
//
//	'h' info: JSON (Info), the first record, with the maker's signed proof
//	'e' an event: its JSON
//	'b' a piece of a blob: sha256(32) uvarint(total) uvarint(offset) bytes
//	'i' the index lists an event: id prefix(8) uvarint(kind)
//	'l' the index lists a blob: sha256(32) uvarint(size)
//
// The index comes after all events and blobs. A reader compares it with what
// it read and says exactly which events and blobs were lost.
//
// Split bundles are the same stream cut into parts at frame boundaries; any
// part can be read first, and the parts' headers say which are missing.
// Every part but the last is padded with random bytes to the size asked
// for, so part sizes do not betray the frame size. Every part carries the
// same two slot areas.
package bundle
