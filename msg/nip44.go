// Package msg carries private messages and small groups the NIP-17 way:
// a kind-14 chat message (the "rumor", unsigned) is encrypted with NIP-44 v2
// for each recipient inside a kind-13 "seal" signed by the sender, and the
// seal inside a kind-1059 "gift wrap" signed by a one-time key and
// addressed only by a "p" tag (NIP-59). Every other node carries the wrap
// blindly: it learns that a message of a certain size exists for a certain
// key, and nothing else, not even the sender.
//
// The package also holds what a messenger keeps private: the vault, where
// decrypted messages, contacts and groups are stored encrypted under a key
// derived from the identity's secret key (so, for an identity with a
// passphrase, from the passphrase); safety numbers for verifying a
// contact; and encryption of attached files (NIP-17 kind 15).
package msg

import (
	"errors"
	"fmt"
	"io"

	"github.com/caravan-mesh/caravan/internal/convkey"
	"github.com/nbd-wtf/go-nostr/nip44"
)

// ErrDecrypt means a NIP-44 payload could not be decrypted: not for this
// key, damaged, or forged.
var ErrDecrypt = errors.New("cannot decrypt")

// ConversationKey is the NIP-44 v2 conversation key of a secret key (hex)
// and someone's public key (hex). It refuses keys that are not valid.
func ConversationKey(sk, pub string) ([32]byte, error) { return convkey.Derive(sk, pub) }

// Encrypt is NIP-44 v2 encryption of 1 to 65535 bytes, with a nonce from
// crypto/rand.
func Encrypt(plaintext string, ck [32]byte) (string, error) {
	return EncryptRand(plaintext, ck, nil)
}

// EncryptRand is Encrypt with the 32-byte nonce read from r. If r is nil,
// crypto/rand. A deterministic r is for simulation and tests only: NIP-44
// is only safe when a nonce is never used twice under one conversation
// key, so it must never be used for real users.
func EncryptRand(plaintext string, ck [32]byte, r io.Reader) (string, error) {
	if n := len(plaintext); n < nip44.MinPlaintextSize || n > nip44.MaxPlaintextSize {
		return "", fmt.Errorf("a message must be 1 to %d bytes, this one is %d", nip44.MaxPlaintextSize, n)
	}
	if r == nil {
		return nip44.Encrypt(plaintext, ck)
	}
	nonce := make([]byte, 32)
	if _, err := io.ReadFull(r, nonce); err != nil {
		return "", fmt.Errorf("read a nonce: %w", err)
	}
	return nip44.Encrypt(plaintext, ck, nip44.WithCustomNonce(nonce))
}

// Decrypt is NIP-44 v2 decryption. Any failure, including a panic inside
// the library on hostile input, is ErrDecrypt with the reason.
func Decrypt(payload string, ck [32]byte) (pt string, err error) {
	defer func() {
		if r := recover(); r != nil {
			pt, err = "", fmt.Errorf("%w: malformed payload", ErrDecrypt)
		}
	}()
	pt, err = nip44.Decrypt(payload, ck)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrDecrypt, err)
	}
	return pt, nil
}

// PaddedLen is the length NIP-44 v2 pads a plaintext of n bytes to
// (before the 2-byte length prefix), as the NIP specifies.
func PaddedLen(n int) int {
	if n <= 32 {
		return 32
	}
	next := 1
	for next < n {
		next <<= 1
	}
	chunk := 32
	if next > 256 {
		chunk = next / 8
	}
	return chunk * ((n-1)/chunk + 1)
}
