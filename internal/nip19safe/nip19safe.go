// Package nip19safe decodes NIP-19 bech32 strings without letting hostile
// input crash the program: go-nostr's decoder indexes into TLV values
// without checking their length (a short "kind" entry in an naddr panics),
// so every decode runs behind recover and is bounded in size.
package nip19safe

import (
	"errors"
	"fmt"
	"strings"

	"github.com/nbd-wtf/go-nostr"
	"github.com/nbd-wtf/go-nostr/nip19"
)

// MaxLen bounds the input: no legitimate NIP-19 string is near it.
const MaxLen = 5000

// ErrMalformed wraps every decoding failure.
var ErrMalformed = errors.New("malformed NIP-19 string")

// Decode is nip19.Decode that returns an error instead of panicking. It
// accepts an optional "nostr:" prefix (NIP-21).
func Decode(s string) (prefix string, value any, err error) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "nostr:")
	if len(s) > MaxLen {
		return "", nil, fmt.Errorf("%w: %d characters is too long", ErrMalformed, len(s))
	}
	defer func() {
		if r := recover(); r != nil {
			prefix, value, err = "", nil, fmt.Errorf("%w: corrupt contents", ErrMalformed)
		}
	}()
	prefix, value, err = nip19.Decode(strings.ToLower(s))
	if ep, ok := value.(nostr.EntityPointer); ok && err != nil && prefix == "naddr" && ep.Identifier == "" && ep.PublicKey != "" && ep.Kind != 0 {
		// go-nostr refuses an naddr with an empty identifier, which
		// NIP-19 allows (an empty d tag) and which it encodes itself.
		return prefix, ep, nil
	}
	if err != nil {
		return prefix, nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return prefix, value, nil
}
