package nip19safe

import (
	"strings"
	"testing"

	"github.com/nbd-wtf/go-nostr"
	"github.com/nbd-wtf/go-nostr/nip19"
)

func TestShortNaddrKindDoesNotPanic(t *testing.T) {
	// An naddr whose kind TLV is one byte long: go-nostr's decoder reads
	// four bytes from it.
	bad := "naddr1qqqhsq3qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqxqg8djfm25"
	func() {
		defer func() {
			if recover() == nil {
				t.Log("go-nostr no longer panics on this input; the recover in Decode may be unneeded")
			}
		}()
		nip19.Decode(bad)
	}()
	if _, _, err := Decode(bad); err == nil {
		t.Fatal("a corrupt naddr decoded without error")
	}
}

// TestNaddrEmptyIdentifier: NIP-19 allows an naddr with an empty
// identifier (a d tag ""); go-nostr encodes one but refuses to decode it.
func TestNaddrEmptyIdentifier(t *testing.T) {
	pk := strings.Repeat("ab", 32)
	s, err := nip19.EncodeEntity(pk, 30023, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	prefix, v, err := Decode(s)
	if err != nil || prefix != "naddr" {
		t.Fatalf("%s: %v", s, err)
	}
	if p := v.(nostr.EntityPointer); p.PublicKey != pk || p.Kind != 30023 || p.Identifier != "" {
		t.Fatalf("decoded as %+v", p)
	}
	if _, _, err := Decode("naddr1qqqqygqkf8287yy6n5ha37fcjkgvfr78j7fa97dwu0a0wmjg7a632u8wtvpsgqqqw4rsjxglgf"[:20]); err == nil {
		t.Fatal("a cut naddr decoded")
	}
}

func FuzzDecode(f *testing.F) {
	pk := strings.Repeat("ab", 32)
	npub, _ := nip19.EncodePublicKey(pk)
	nprofile, _ := nip19.EncodeProfile(pk, []string{"wss://relay.example"})
	nevent, _ := nip19.EncodeEvent(pk, []string{"ws://10.0.0.1"}, pk)
	naddr, _ := nip19.EncodeEntity(pk, 30023, "report", nil)
	note, _ := nip19.EncodeNote(pk)
	emptyD, _ := nip19.EncodeEntity(pk, 0, "", nil)
	for _, s := range []string{npub, nprofile, nevent, naddr, emptyD, note, "nostr:" + npub, "npub1", "naddr1qqqq"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		prefix, v, err := Decode(s)
		if err != nil {
			return
		}
		// What decodes re-encodes to something that decodes the same.
		var again string
		switch prefix {
		case "npub":
			again, _ = nip19.EncodePublicKey(v.(string))
		case "note":
			again, _ = nip19.EncodeNote(v.(string))
		case "nprofile":
			p := v.(nostr.ProfilePointer)
			again, _ = nip19.EncodeProfile(p.PublicKey, p.Relays)
		case "naddr":
			p := v.(nostr.EntityPointer)
			again, _ = nip19.EncodeEntity(p.PublicKey, p.Kind, p.Identifier, p.Relays)
		default:
			return
		}
		if again == "" {
			return // e.g. a relay hint longer than a TLV can hold
		}
		p2, v2, err := Decode(again)
		if err != nil || p2 != prefix {
			t.Fatalf("%s re-encoded as %s does not decode: %v", s, again, err)
		}
		if prefix != "nprofile" && prefix != "naddr" && v2 != v {
			t.Fatalf("round trip changed %v to %v", v, v2)
		}
	})
}
