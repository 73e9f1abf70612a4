// Package qr passes a contact card or one short signed event through a QR
// code, for when only a screen and a camera join two people.
//
// # The text inside the code
//
// A contact card is a NIP-21 URI of a NIP-19 nprofile, with the node's relay
// hints when it has any:
//
//	nostr:nprofile1qqs...
//
// This is what Nostr apps put in their own profile codes, so any of them can
// scan ours, and we read theirs (nostr:npub1... and a bare npub or nprofile
// too).
//
// A signed event is its NIP-01 JSON object, compact, as relays send it:
//
//	{"kind":1,"id":"...","pubkey":"...","created_at":1700000000,"tags":[],"content":"...","sig":"..."}
//
// The whole event travels, so the reader checks its id and signature and
// stores it without any network; a nevent is only a pointer and is refused
// with a hint. The JSON is encoded in byte mode (UTF-8).
//
// A compact binary form (raw id, key and signature, deflated content,
// base45 in alphanumeric mode) would need about half the bits: an 800-byte
// note would be a version 16 code instead of 23. But no other program could
// read it, while this JSON is what nak, nostr-tools or any relay accepts as
// it is, and what a phone's camera app shows as text. At the sizes a camera
// reads well the saving is not needed: [MaxEventBytes] (1,024 bytes) is at
// most a version 26 code at error correction level M, 121 modules a side,
// where M's ceiling (version 40) is 2,331 bytes. Larger events travel in
// bundle files or by sync.
//
// docs/qr.md says the same for people who do not read Go.
package qr

import (
	"errors"
	"fmt"
	"strings"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/internal/nip19safe"
	"github.com/caravan-mesh/caravan/keys"
	"github.com/nbd-wtf/go-nostr"
)

// MaxEventBytes is the largest event, as the JSON text in the code, that
// [EventText] puts into one QR code.
const MaxEventBytes = 1024

// maxText bounds what Parse looks at: no QR code holds more than 7,089
// characters (digits only), so anything longer did not come from one.
const maxText = 8 << 10

// Payload is what a QR code carried: a contact card or a signed event.
// Exactly one of the fields is set.
type Payload struct {
	Contact *Contact
	Event   *nostr.Event // decoded, not yet verified: the node checks it on ingest
}

// Contact is a person's key with the relays where they may be found.
type Contact struct {
	PubKey keys.PublicKey
	Relays []string
}

// ContactText is the text of a contact card: "nostr:nprofile1...".
func ContactText(pk keys.PublicKey, relays []string) string {
	return "nostr:" + pk.NProfile(relays)
}

// TooLargeError means an event does not fit in one QR code.
type TooLargeError struct {
	Size  int // bytes of JSON
	Limit int
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("the event is %s bytes as JSON, more than the %s bytes one QR code carries",
		thousands(e.Size), thousands(e.Limit))
}

// EventText is the text of a signed event: its compact JSON. It fails with
// a [*TooLargeError] above [MaxEventBytes].
func EventText(ev *nostr.Event) (string, error) {
	b, err := ev.MarshalJSON()
	if err != nil {
		return "", err
	}
	if len(b) > MaxEventBytes {
		return "", &TooLargeError{Size: len(b), Limit: MaxEventBytes}
	}
	return string(b), nil
}

// What a QR code held when it was neither a contact card nor an event;
// every [*TextError] wraps one of these.
var (
	ErrEmpty    = errors.New("empty QR code")
	ErrForeign  = errors.New("neither a contact card nor a signed event")
	ErrPointer  = errors.New("a pointer to an event, not the event")
	ErrSecret   = errors.New("a secret key")
	ErrBadEvent = errors.New("an event that cannot be read")
	ErrBadKey   = errors.New("a damaged key")
)

// TextError says what a QR code held instead of what we read.
type TextError struct {
	Kind error  // one of the Err values above
	What string // what the code holds, in words
}

func (e *TextError) Error() string { return "the QR code holds " + e.What }
func (e *TextError) Unwrap() error { return e.Kind }

// Parse reads the text of a QR code: a contact card (npub or nprofile, with
// or without "nostr:") or a signed event as JSON. Anything else is a
// [*TextError]. The event is decoded but not verified; it must enter the
// node through its ingest path, which checks it like any other.
func Parse(text string) (Payload, error) {
	t := strings.TrimSpace(text)
	switch {
	case t == "":
		return Payload{}, &TextError{ErrEmpty, "nothing"}
	case len(t) > maxText:
		return Payload{}, &TextError{ErrForeign, fmt.Sprintf("%s characters, more than any QR code carries", thousands(len(t)))}
	case t[0] == '{':
		ev, err := event.DecodeEvent([]byte(t))
		if err != nil {
			return Payload{}, &TextError{ErrBadEvent, fmt.Sprintf("an event that cannot be read: %v", err)}
		}
		// Without these there is nothing to check, and nothing that would
		// be the same event when encoded again.
		switch {
		case !event.IsHexID(ev.ID):
			return Payload{}, &TextError{ErrBadEvent, "an event that cannot be read: its id is not 64 lowercase hex characters"}
		case !event.IsHexID(ev.PubKey):
			return Payload{}, &TextError{ErrBadEvent, "an event that cannot be read: its pubkey is not 64 lowercase hex characters"}
		case len(ev.Sig) != 128 || !event.IsHexID(ev.Sig[:64]) || !event.IsHexID(ev.Sig[64:]):
			return Payload{}, &TextError{ErrBadEvent, "an event that cannot be read: its sig is not 128 lowercase hex characters"}
		}
		return Payload{Event: ev}, nil
	}
	bare := t
	if len(bare) >= 6 && strings.EqualFold(bare[:6], "nostr:") {
		bare = bare[6:]
	}
	if event.IsHexID(strings.ToLower(bare)) {
		return Payload{}, &TextError{ErrForeign, "64 hex characters, which may be a key or an event id; nothing says which"}
	}
	prefix, _, err := nip19safe.Decode(bare)
	if err != nil {
		lower := strings.ToLower(bare)
		for _, p := range []string{"npub1", "nprofile1"} {
			if strings.HasPrefix(lower, p) {
				return Payload{}, &TextError{ErrBadKey, fmt.Sprintf("a damaged %s (%s): a letter is wrong or missing", p[:len(p)-1], clip(bare, 24))}
			}
		}
		return Payload{}, foreign(t)
	}
	switch prefix {
	case "npub", "nprofile":
		pk, relays, err := keys.ParsePublicKey(bare)
		if err != nil {
			return Payload{}, &TextError{ErrBadKey, fmt.Sprintf("a key that cannot be used: %v", err)}
		}
		return Payload{Contact: &Contact{PubKey: pk, Relays: relays}}, nil
	case "note", "nevent", "naddr":
		return Payload{}, &TextError{ErrPointer, fmt.Sprintf("%s, a pointer to an event, not the event itself", clip(bare, 24))}
	case "nsec", "ncryptsec":
		// Never echo a secret.
		return Payload{}, &TextError{ErrSecret, fmt.Sprintf("a secret key (%s); it was not read further", prefix)}
	}
	return Payload{}, &TextError{ErrForeign, fmt.Sprintf("a Nostr %s, not a contact card or a signed event", prefix)}
}

// foreign describes text that is not ours, without echoing much of it.
func foreign(t string) *TextError {
	lower := strings.ToLower(t)
	for _, scheme := range []string{"https://", "http://", "wss://", "ws://"} {
		if strings.HasPrefix(lower, scheme) {
			return &TextError{ErrForeign, fmt.Sprintf("a web address (%s), not a contact card or a signed event", clip(t, 40))}
		}
	}
	return &TextError{ErrForeign, fmt.Sprintf("text (%q), not a contact card or a signed event", clip(t, 40))}
}

// clip shortens s to n runes and removes control characters, so what a
// stranger's code holds cannot move a terminal's cursor.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		r = append(r[:n:n], '…')
	}
	for i, c := range r {
		if c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) {
			r[i] = '�'
		}
	}
	return string(r)
}

// thousands writes n with comma separators: 1,024.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
