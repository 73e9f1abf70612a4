package keys

import (
	"strings"
	"testing"

	"github.com/nbd-wtf/go-nostr/nip49"
)

// FuzzParseKeys: public and secret key parsing never panics or asks for
// unbounded work, whatever is pasted in.
func FuzzParseKeys(f *testing.F) {
	enc, _ := nip49.Encrypt(strings.Repeat("11", 32), "pw", 4, 0x02)
	for _, s := range []string{
		"npub10elfcs4fr0l0r8af98jlmgdh9c8tcxjvz9qkw038js35mp4dma8qzvjptg",
		"nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe5",
		enc, strings.Repeat("f", 64), "nostr:npub1", "ncryptsec1qqqq",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ParsePublicKey(s)
		if err := CheckSecretFormat(s); err == nil && strings.HasPrefix(strings.ToLower(strings.TrimSpace(s)), "ncryptsec1") {
			// A well-formed ncryptsec: decrypting with a wrong passphrase
			// must fail cleanly and cheaply (log_n is capped).
			if _, err := decryptNCryptSec(s, "wrong passphrase"); err == nil {
				t.Skip("fuzzer found the passphrase")
			}
		}
	})
}
