// Package event is the vocabulary every other package speaks: it names the
// event kinds the project uses (kinds.go), decodes events and filters
// strictly (decode.go), checks filters and orders stored events
// (filter.go), and validates Nostr events (NIP-01) as they enter a node.
// It depends on nothing else in the module.
//
// Every event that reaches the store, from any source (a websocket client,
// the CLI, a sync peer, a bundle), passes [Check] first. A rejection is a
// [*Rejection] carrying one of NIP-01's machine-readable prefixes, so that
// the relay endpoint can put it verbatim into an OK or CLOSED message and the
// CLI can show it to a person.
package event

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/nbd-wtf/go-nostr"
)

// NIP-01 machine-readable prefixes for OK and CLOSED messages.
const (
	Duplicate   = "duplicate"
	PoW         = "pow"
	Blocked     = "blocked"
	RateLimited = "rate-limited"
	Invalid     = "invalid"
	Restricted  = "restricted"
	Mute        = "mute"
	Error       = "error"
	Unsupported = "unsupported" // not in NIP-01's list; used by several relays for unknown features
	// AuthRequired (NIP-42): the client must authenticate (AUTH) first.
	// Restricted is NIP-42's answer for a client that did, with a key
	// that may not do what it asked.
	AuthRequired = "auth-required"
)

// Rejection is why an event, a filter or a message was refused. Its Error
// text is "prefix: message", the form NIP-01 prescribes for OK and CLOSED.
type Rejection struct {
	Prefix string
	Msg    string
	// Err, if set, is the cause, for callers that branch on it
	// (errors.Is and errors.As see it); it is not part of the text.
	Err error
}

func (r *Rejection) Error() string { return r.Prefix + ": " + r.Msg }
func (r *Rejection) Unwrap() error { return r.Err }

// Reject builds a Rejection with a formatted message.
func Reject(prefix, format string, args ...any) *Rejection {
	return &Rejection{Prefix: prefix, Msg: fmt.Sprintf(format, args...)}
}

// Reason turns any error into a NIP-01 reason string. Errors that are not a
// Rejection become "error: ..." so that internal failures are never mistaken
// for a verdict on the event.
func Reason(err error) string {
	var r *Rejection
	if errors.As(err, &r) {
		return r.Error()
	}
	return Error + ": " + err.Error()
}

// Limits bounds what a node accepts. The zero value means the defaults
// documented on each field.
type Limits struct {
	// MaxEventBytes is the largest accepted event, measured as its JSON
	// serialization. If zero, 256 KiB.
	MaxEventBytes int `json:"max_event_bytes,omitempty"`
	// MaxFuture is how far ahead of the node's clock created_at may be.
	// If zero, 15 minutes.
	MaxFuture Duration `json:"max_future,omitempty"`
	// MaxTags is the largest number of tags on one event. If zero, 2000.
	MaxTags int `json:"max_tags,omitempty"`
}

// Defaults for Limits.
const (
	DefaultMaxEventBytes = 256 << 10
	DefaultMaxFuture     = 15 * time.Minute
	DefaultMaxTags       = 2000
)

// WithDefaults returns l with every zero field set to its default.
func (l Limits) WithDefaults() Limits {
	if l.MaxEventBytes <= 0 {
		l.MaxEventBytes = DefaultMaxEventBytes
	}
	if l.MaxFuture <= 0 {
		l.MaxFuture = Duration(DefaultMaxFuture)
	}
	if l.MaxTags <= 0 {
		l.MaxTags = DefaultMaxTags
	}
	return l
}

// Duration is a time.Duration that reads and writes as "15m" in JSON.
type Duration time.Duration

func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration like 15m or 1h30m", b)
	}
	*d = Duration(v)
	return nil
}

// Check validates the shape of ev against the limits at time now: field
// formats, size, tag count, timestamp, expiration. It does not verify the id
// and signature; call [Verify] for that (it is the expensive part, and a
// caller ingesting a batch runs it in parallel).
func Check(ev *nostr.Event, l Limits, now time.Time) error {
	l = l.WithDefaults()
	if !isLowerHex(ev.ID, 64) {
		return Reject(Invalid, "id must be 64 lowercase hex characters")
	}
	if !isLowerHex(ev.PubKey, 64) {
		return Reject(Invalid, "pubkey must be 64 lowercase hex characters")
	}
	if !isLowerHex(ev.Sig, 128) {
		return Reject(Invalid, "sig must be 128 lowercase hex characters")
	}
	if ev.Kind < 0 || ev.Kind > 65535 {
		return Reject(Invalid, "kind %d is outside 0..65535", ev.Kind)
	}
	if ev.CreatedAt < 0 {
		return Reject(Invalid, "created_at %d is negative", ev.CreatedAt)
	}
	if len(ev.Tags) > l.MaxTags {
		return Reject(Invalid, "event has %d tags, more than the limit of %d", len(ev.Tags), l.MaxTags)
	}
	for i, tag := range ev.Tags {
		if len(tag) == 0 {
			return Reject(Invalid, "tag %d is empty; every tag needs at least a name", i)
		}
		for _, s := range tag {
			if !utf8.ValidString(s) {
				return Reject(Invalid, "tag %d is not valid UTF-8", i)
			}
		}
	}
	if !utf8.ValidString(ev.Content) {
		return Reject(Invalid, "content is not valid UTF-8")
	}
	if n := Size(ev); n > l.MaxEventBytes {
		return Reject(Invalid, "event is %d bytes, more than the limit of %d", n, l.MaxEventBytes)
	}
	limit := now.Add(time.Duration(l.MaxFuture)).Unix()
	if int64(ev.CreatedAt) > limit {
		r := Reject(Invalid, "created_at is %s in the future, more than the %s allowed; check the clock of the device that made it",
			time.Duration(int64(ev.CreatedAt)-now.Unix())*time.Second, time.Duration(l.MaxFuture))
		r.Err = ErrFuture
		return r
	}
	if exp, ok := Expiration(ev); ok && exp <= now.Unix() {
		r := Reject(Invalid, "event expired at %s (NIP-40)", time.Unix(exp, 0).UTC().Format(time.RFC3339))
		r.Err = ErrExpired
		return r
	}
	return nil
}

// ErrFuture and ErrExpired are the causes of Check's rejections that
// depend on the clock (see Rejection.Err): the event itself may be sound,
// and another node's clock, or this one's later, may take it.
var (
	ErrFuture  = errors.New("created_at is too far ahead of this node's clock")
	ErrExpired = errors.New("expired by this node's clock")
)

// Verify checks that the id is the sha256 of the canonical serialization and
// that the BIP-340 signature (btcec's schnorr) verifies for the pubkey. It
// serializes once, and keeps recently parsed public keys: lifting a key to
// the curve costs a square root, a good part of a verification, and the
// same authors come back again and again.
func Verify(ev *nostr.Event) error { return (*Checked)(nil).Verify(ev) }

// Checked remembers signatures already verified, so that the nodes sharing
// one process (the simulator's thousands) check each event's once. The id
// is recomputed every time: it binds the content and the key, so a
// verified (id, sig) pair stands for the whole event. The zero value is
// ready.
type Checked struct{ m sync.Map }

// Verify is Verify, but an (id, sig) pair already verified here is not
// verified again. A nil *Checked verifies every time.
func (c *Checked) Verify(ev *nostr.Event) error {
	h := sha256.Sum256(ev.Serialize())
	var id [32]byte
	if _, err := hex.Decode(id[:], []byte(ev.ID)); err != nil || id != h {
		return Reject(Invalid, "id does not match the sha256 of the event's serialization")
	}
	if c != nil {
		if _, ok := c.m.Load(ev.ID + ev.Sig); ok {
			return nil
		}
	}
	pk, err := parsePubKey(ev.PubKey)
	if err != nil {
		return Reject(Invalid, "signature cannot be checked: %v", err)
	}
	var sb [64]byte
	if _, err := hex.Decode(sb[:], []byte(ev.Sig)); err != nil || len(ev.Sig) != 128 {
		return Reject(Invalid, "signature cannot be checked: sig is not 128 hex characters")
	}
	sig, err := schnorr.ParseSignature(sb[:])
	if err != nil {
		return Reject(Invalid, "signature cannot be checked: %v", err)
	}
	if !sig.Verify(h[:], pk) {
		return Reject(Invalid, "signature does not verify for this pubkey")
	}
	if c != nil {
		c.m.Store(ev.ID+ev.Sig, struct{}{})
	}
	return nil
}

var pubkeys = struct {
	sync.Mutex
	m map[string]*btcec.PublicKey
}{m: map[string]*btcec.PublicKey{}}

const maxCachedKeys = 8192

func parsePubKey(s string) (*btcec.PublicKey, error) {
	pubkeys.Lock()
	pk, ok := pubkeys.m[s]
	pubkeys.Unlock()
	if ok {
		return pk, nil
	}
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return nil, fmt.Errorf("pubkey is not 64 hex characters")
	}
	pk, err = schnorr.ParsePubKey(b)
	if err != nil {
		return nil, fmt.Errorf("pubkey is not a point on the curve")
	}
	pubkeys.Lock()
	if len(pubkeys.m) >= maxCachedKeys {
		for k := range pubkeys.m { // drop an arbitrary tenth
			delete(pubkeys.m, k)
			if len(pubkeys.m) < maxCachedKeys*9/10 {
				break
			}
		}
	}
	pubkeys.m[s] = pk
	pubkeys.Unlock()
	return pk, nil
}

// Size is the length of ev's JSON serialization, the measure that the size
// limit applies to.
func Size(ev *nostr.Event) int {
	// 64+64+128 hex, field names and punctuation: about 160 bytes of frame.
	return len(ev.Serialize()) + 160
}

// Expiration returns the NIP-40 expiration time of ev, if it has a valid one.
func Expiration(ev *nostr.Event) (int64, bool) {
	for _, tag := range ev.Tags {
		if len(tag) >= 2 && tag[0] == "expiration" {
			v, err := strconv.ParseInt(tag[1], 10, 64)
			if err != nil || v < 0 {
				return 0, false
			}
			return v, true
		}
	}
	return 0, false
}

// Kind classes, NIP-01.
func IsReplaceable(kind int) bool {
	return kind == 0 || kind == 3 || (kind >= 10000 && kind < 20000)
}
func IsEphemeral(kind int) bool   { return kind >= 20000 && kind < 30000 }
func IsAddressable(kind int) bool { return kind >= 30000 && kind < 40000 }

// DTag returns the "d" tag value that names an addressable event.
func DTag(ev *nostr.Event) string { return ev.Tags.GetD() }

// Address is the "kind:pubkey:d" coordinate of a replaceable or addressable
// event (with an empty d for replaceable ones), as used in "a" tags.
func Address(ev *nostr.Event) string {
	d := ""
	if IsAddressable(ev.Kind) {
		d = DTag(ev)
	}
	return strconv.Itoa(ev.Kind) + ":" + ev.PubKey + ":" + d
}

func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// IsHexID reports whether s is a 64-character lowercase hex string, the form
// of event ids and public keys.
func IsHexID(s string) bool { return isLowerHex(s, 64) }
