package reports

import (
	"strings"
	"testing"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/nbd-wtf/go-nostr/nip19"
)

// FuzzParseReportAddress: a report's address (an naddr, with or without
// nostr:, or kind:pubkey:d) from a link or a message is read or refused,
// and what is read names a pubkey in hex that encodes back to an naddr
// reading the same.
func FuzzParseReportAddress(f *testing.F) {
	k := evtest.NewKey("a reporter")
	naddr, _ := nip19.EncodeEntity(k.Public, event.KindReport, "almaty-0105", nil)
	for _, s := range []string{
		naddr, "nostr:" + naddr, "30023:" + k.Public + ":almaty-0105", "30023:" + k.Public + ":",
		"30023:xyz:d", "naddr1", "npub1" + strings.Repeat("q", 58), "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		pk, d, err := ParseAddress(s)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an empty error")
			}
			return
		}
		if len(pk) != 64 || strings.Trim(pk, "0123456789abcdef") != "" {
			t.Fatalf("%q read as pubkey %q", s, pk)
		}
		again, err := nip19.EncodeEntity(pk, event.KindReport, d, nil)
		if err != nil {
			t.Fatalf("%q read as %s/%q, which does not encode: %v", s, pk, d, err)
		}
		if pk2, d2, err := ParseAddress(again); err != nil || pk2 != pk || d2 != d {
			t.Fatalf("%q read as %s/%q, encoded as %s, read back as %s/%q (%v)", s, pk, d, again, pk2, d2, err)
		}
	})
}
