package bundle

import (
	"errors"
	"testing"

	"github.com/caravan-mesh/caravan/internal/evtest"
)

// BenchmarkSlots measures, at the format's scrypt cost (2^18), what the
// two slot areas cost: sealing both for a passphrase and a recipient (an
// export), and trying both with a wrong passphrase (an import that fails,
// or a file that is not a bundle). An import that opens at the start
// tries only the first. Run it with
//
//	go test -run '^$' -bench Slots -benchtime 3x ./bundle
func BenchmarkSlots(b *testing.B) {
	defer func(n int) { scryptLogN = n }(scryptLogN)
	scryptLogN = 18
	lock := Lock{Passphrase: "correct horse battery", To: []string{evtest.NewKey("r").Public}}
	key := make([]byte, keySize)
	b.Run("seal-both", func(b *testing.B) {
		for b.Loop() {
			for range 2 {
				if _, err := makeSlots(lock, key, Version); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	front, _ := makeSlots(lock, key, Version)
	tail, _ := makeSlots(lock, key, Version)
	b.Run("open-start", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := openSlots(front, Keys{Passphrase: lock.Passphrase}, map[string][]byte{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("wrong-passphrase-both", func(b *testing.B) {
		for b.Loop() {
			cache := map[string][]byte{}
			for _, s := range [][]byte{front, tail} {
				if _, _, err := openSlots(s, Keys{Passphrase: "wrong"}, cache); !errors.Is(err, ErrNoKey) {
					b.Fatal(err)
				}
			}
		}
	})
}
