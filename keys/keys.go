// Package keys holds Nostr identities (secp256k1 keys) and their text forms.
//
// A Keyring keeps one file per identity in a directory. The secret key in
// that file is encrypted with the user's passphrase as a NIP-49 ncryptsec
// (scrypt, then XChaCha20-Poly1305), unless the user explicitly chose no
// passphrase for an unattended node. Secrets are decrypted into memory only
// when an identity is unlocked, and never leave the keyring except by an
// explicit export.
package keys

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/internal/nip19safe"
	"github.com/nbd-wtf/go-nostr"
	"github.com/nbd-wtf/go-nostr/nip19"
)

// PublicKey is a Nostr public key in lowercase hex. Its String is the npub
// people read and compare.
type PublicKey string

// ErrNotAKey means a string is not a public key in any form we read.
var ErrNotAKey = errors.New("not a public key")

// ParsePublicKey reads an npub, an nprofile, a nostr: URI of either, or 64
// hex characters. Relay hints from an nprofile are returned too.
func ParsePublicKey(s string) (PublicKey, []string, error) {
	s = strings.TrimSpace(s)
	if len(s) == 64 {
		if h := strings.ToLower(s); event.IsHexID(h) {
			if !nostr.IsValidPublicKey(h) {
				return "", nil, fmt.Errorf("%w: %s is not a point on the secp256k1 curve", ErrNotAKey, short(s))
			}
			return PublicKey(h), nil, nil
		}
	}
	prefix, v, err := nip19safe.Decode(s)
	if err != nil {
		return "", nil, fmt.Errorf("%w: %q is neither an npub, an nprofile nor 64 hex characters", ErrNotAKey, short(s))
	}
	var (
		pk     string
		relays []string
	)
	switch prefix {
	case "npub":
		pk = v.(string)
	case "nprofile":
		p := v.(nostr.ProfilePointer)
		pk, relays = p.PublicKey, p.Relays
	case "nsec", "ncryptsec":
		return "", nil, fmt.Errorf("%w: that is a secret key (%s); never share it. Ask for their npub instead", ErrNotAKey, prefix)
	default:
		return "", nil, fmt.Errorf("%w: %q is an %s, not a person's key", ErrNotAKey, short(s), prefix)
	}
	if !nostr.IsValidPublicKey(pk) {
		return "", nil, fmt.Errorf("%w: %s is not a point on the secp256k1 curve", ErrNotAKey, short(s))
	}
	return PublicKey(pk), relays, nil
}

// Hex is the 64-character hex form used inside events.
func (k PublicKey) Hex() string { return string(k) }

// NPub is the NIP-19 bech32 form.
func (k PublicKey) NPub() string {
	s, err := nip19.EncodePublicKey(string(k))
	if err != nil {
		return string(k)
	}
	return s
}

func (k PublicKey) String() string { return k.NPub() }

// NProfile is the NIP-19 nprofile form with relay hints.
func (k PublicKey) NProfile(relays []string) string {
	s, err := nip19.EncodeProfile(string(k), relays)
	if err != nil {
		return k.NPub()
	}
	return s
}

// Short is an abbreviated npub for lists: "npub1abcd…wxyz".
func (k PublicKey) Short() string {
	n := k.NPub()
	if len(n) < 20 {
		return n
	}
	return n[:12] + "…" + n[len(n)-6:]
}

func short(s string) string {
	if len(s) > 24 {
		return s[:20] + "…"
	}
	return s
}

// parseSecret reads a secret key as nsec or 64 hex characters.
func parseSecret(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) == 64 {
		if _, err := hex.DecodeString(s); err == nil {
			return strings.ToLower(s), validSecret(strings.ToLower(s))
		}
	}
	prefix, v, err := nip19safe.Decode(s)
	if err != nil || prefix != "nsec" {
		return "", errors.New("not an nsec, an ncryptsec or 64 hex characters")
	}
	return v.(string), validSecret(v.(string))
}

func validSecret(sk string) error {
	if _, err := nostr.GetPublicKey(sk); err != nil {
		return fmt.Errorf("not a valid secp256k1 secret key: %w", err)
	}
	b, _ := hex.DecodeString(sk)
	zero := true
	for _, c := range b {
		if c != 0 {
			zero = false
		}
	}
	if zero {
		return errors.New("the secret key is zero")
	}
	return nil
}
