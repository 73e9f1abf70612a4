// Package convkey derives NIP-44 v2 conversation keys. It sits below both
// the keyring (which holds secret keys) and the messenger (which encrypts
// with the keys derived), so that neither has to import the other.
package convkey

import (
	"fmt"

	"github.com/nbd-wtf/go-nostr"
	"github.com/nbd-wtf/go-nostr/nip44"
)

// Derive is the NIP-44 v2 conversation key of a secret key (hex) and
// someone's public key (hex). It refuses keys that are not valid.
func Derive(sk, pub string) ([32]byte, error) {
	if !nostr.IsValidPublicKey(pub) {
		return [32]byte{}, fmt.Errorf("public key %q is not a point on secp256k1", clip(pub))
	}
	if _, err := nostr.GetPublicKey(sk); err != nil {
		return [32]byte{}, fmt.Errorf("invalid secret key")
	}
	return nip44.GenerateConversationKey(pub, sk)
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
