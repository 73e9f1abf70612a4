package qr

import (
	"bytes"
	"errors"
	"image"
	"testing"

	"github.com/caravan-mesh/caravan/keys"
	"github.com/nbd-wtf/go-nostr"
	"github.com/nbd-wtf/go-nostr/nip19"
)

// FuzzQRText feeds Parse arbitrary text. It must never panic; what it
// refuses is a TextError; what it accepts, encoded again, reads back as the
// same contact or the same event, byte for byte.
func FuzzQRText(f *testing.F) {
	pk := keys.PublicKey(aigerim.Public)
	ev := bolat.Event(1, 1641340800, "Салем \"Almaty\" \\ \u2028 💧", nostr.Tag{"t", "almaty"})
	text, _ := EventText(ev)
	nevent, _ := nip19.EncodeEvent(ev.ID, []string{"wss://r.example"}, ev.PubKey)
	nsec, _ := nip19.EncodePrivateKey(aigerim.Secret)
	for _, s := range []string{
		ContactText(pk, nil),
		ContactText(pk, []string{"ws://192.168.1.20:7447", "wss://relay.example.org"}),
		pk.NPub(),
		"NOSTR:" + pk.NPub(),
		text,
		text[:len(text)/2],
		`{"id":1}`,
		`{"kind":1,"id":"","pubkey":"","created_at":0,"tags":[[]],"content":"\ud800","sig":""}`,
		"nostr:" + nevent,
		nsec,
		"https://example.org",
		"hello",
		ev.ID,
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil {
			var te *TextError
			if !errors.As(err, &te) || te.Kind == nil {
				t.Fatalf("Parse(%q) failed with %v (%T), not a TextError", s, err, err)
			}
			if p.Contact != nil || p.Event != nil {
				t.Fatalf("Parse(%q) failed but returned %+v", s, p)
			}
			return
		}
		if (p.Contact == nil) == (p.Event == nil) {
			t.Fatalf("Parse(%q) = %+v: want exactly one of contact and event", s, p)
		}
		if c := p.Contact; c != nil {
			again, err := Parse(ContactText(c.PubKey, c.Relays))
			if err != nil {
				t.Fatalf("the contact %s %q read from %q does not read back: %v", c.PubKey, c.Relays, s, err)
			}
			if a := again.Contact; a == nil || a.PubKey != c.PubKey || !equalStrings(a.Relays, c.Relays) {
				t.Fatalf("contact %s %q read back as %+v", c.PubKey, c.Relays, again)
			}
			return
		}
		first, err := p.Event.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		again, err := Parse(string(first))
		if err != nil {
			t.Fatalf("the event read from %q, encoded as %s, does not read back: %v", s, first, err)
		}
		second, _ := again.Event.MarshalJSON()
		if !bytes.Equal(first, second) {
			t.Fatalf("event %s read back as %s", first, second)
		}
		if len(first) <= MaxEventBytes {
			if et, err := EventText(p.Event); err != nil || et != string(first) {
				t.Fatalf("EventText = %q, %v; want %s", et, err, first)
			}
		}
	})
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// FuzzReadImage reads pictures from outside (a photo of a screen, an
// upload): a picture is read or refused as not an image or as holding no
// code, never taking memory for more pixels than the limit; and any text
// read, drawn again as a code, reads back the same.
func FuzzReadImage(f *testing.F) {
	card, _ := PNG(ContactText(keys.PublicKey(aigerim.Public), nil))
	f.Add(card)
	f.Add(card[:len(card)/2])
	blank, _ := PNG("")
	f.Add(blank)
	f.Add([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x7f\xff\xff\xff\x7f\xff\xff\xff\x08\x02\x00\x00\x00"))
	f.Add([]byte("\xff\xd8\xff\xe0"))
	f.Add([]byte("GIF89a"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if cfg, _, err := image.DecodeConfig(bytes.NewReader(data)); err == nil && cfg.Width*cfg.Height > 1<<18 && cfg.Width*cfg.Height <= maxPixels {
			// A large picture within the limit takes seconds to search
			// for a code, and is read by the same code as a small one.
			return
		}
		text, err := ReadImage(data)
		if err != nil {
			if !errors.Is(err, ErrNotImage) && !errors.Is(err, ErrNoCode) {
				t.Fatalf("refused with %v, neither ErrNotImage nor ErrNoCode", err)
			}
			return
		}
		png, err := PNG(text)
		if err != nil {
			return // read from a code larger than the ones this program draws
		}
		if again, err := ReadImage(png); err != nil || again != text {
			t.Fatalf("%q drawn again reads as %q (%v)", text, again, err)
		}
	})
}
