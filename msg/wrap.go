package msg

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"time"

	"github.com/caravan-mesh/caravan/event"
	"github.com/mailru/easyjson"
	"github.com/nbd-wtf/go-nostr"
)

// Identity is an unlocked identity: what wrapping and unwrapping need of
// it. The secret key stays with the keyring.
type Identity interface {
	PubKey() string
	Sign(ev *nostr.Event) error
	ConversationKey(peer string) ([32]byte, error)
}

// Options for Wrap. The zero value works.
type Options struct {
	// Now is the clock. If nil, time.Now.
	Now func() time.Time
	// Rand is the source of one-time keys, NIP-44 nonces and timestamp
	// jitter. If nil, crypto/rand. A deterministic Rand is for simulation
	// and tests only: it makes the one-time keys predictable and can repeat
	// nonces, so it must never be used for real users.
	Rand io.Reader
	// Expire, if set, adds a NIP-40 expiration this long after the wrap's
	// (randomized) created_at, so carriers can drop old wraps. The
	// expiration reveals no more than the randomized time already does.
	Expire time.Duration
}

// maxJitter is how far back seal and wrap timestamps are moved at random
// (NIP-59 suggests up to two days), so a carrier cannot tell when a
// message was sent.
const maxJitter = 2 * 24 * time.Hour

func (o Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o Options) rand() io.Reader {
	if o.Rand != nil {
		return o.Rand
	}
	return rand.Reader
}

func (o Options) jittered() (nostr.Timestamp, error) {
	n, err := rand.Int(o.rand(), big.NewInt(int64(maxJitter/time.Second)))
	if err != nil {
		return 0, err
	}
	return nostr.Timestamp(o.now().Unix() - n.Int64()), nil
}

// NewRumor builds an unsigned event from the sender: the message itself.
func NewRumor(from string, kind int, content string, tags nostr.Tags, at time.Time) *nostr.Event {
	if tags == nil {
		tags = nostr.Tags{}
	}
	r := &nostr.Event{PubKey: from, Kind: kind, Content: content, Tags: tags, CreatedAt: nostr.Timestamp(at.Unix())}
	r.ID = r.GetID()
	return r
}

// Wrap seals rumor (from me) and wraps the seal for recipient.
func Wrap(rumor *nostr.Event, recipient string, me Identity, o Options) (*nostr.Event, error) {
	if rumor.PubKey != me.PubKey() {
		return nil, errors.New("the rumor's author is not the sealing identity")
	}
	r := *rumor
	r.Sig = ""
	ck, err := me.ConversationKey(recipient)
	if err != nil {
		return nil, err
	}
	inner, err := easyjson.Marshal(r)
	if err != nil {
		return nil, err
	}
	sealed, err := EncryptRand(string(inner), ck, o.Rand)
	if err != nil {
		return nil, err
	}
	seal := &nostr.Event{Kind: event.KindSeal, Content: sealed, Tags: nostr.Tags{}}
	if seal.CreatedAt, err = o.jittered(); err != nil {
		return nil, err
	}
	if err := me.Sign(seal); err != nil {
		return nil, err
	}
	sealJSON, err := easyjson.Marshal(seal)
	if err != nil {
		return nil, err
	}
	// A one-time key signs the wrap, so the wrap says nothing of the sender.
	oneTime, err := randomKey(o.rand())
	if err != nil {
		return nil, err
	}
	wck, err := ConversationKey(oneTime, recipient)
	if err != nil {
		return nil, err
	}
	outer, err := EncryptRand(string(sealJSON), wck, o.Rand)
	if err != nil {
		return nil, err
	}
	wrap := &nostr.Event{Kind: event.KindGiftWrap, Content: outer, Tags: nostr.Tags{{"p", recipient}}}
	if wrap.CreatedAt, err = o.jittered(); err != nil {
		return nil, err
	}
	if o.Expire > 0 {
		exp := int64(wrap.CreatedAt) + int64(o.Expire/time.Second)
		wrap.Tags = append(wrap.Tags, nostr.Tag{"expiration", strconv.FormatInt(exp, 10)})
	}
	if err := wrap.Sign(oneTime); err != nil {
		return nil, err
	}
	return wrap, nil
}

func randomKey(r io.Reader) (string, error) {
	for {
		b := make([]byte, 32)
		if _, err := io.ReadFull(r, b); err != nil {
			return "", err
		}
		sk := hex.EncodeToString(b)
		if _, err := nostr.GetPublicKey(sk); err == nil && sk != "0000000000000000000000000000000000000000000000000000000000000000" {
			return sk, nil
		}
	}
}

// Errors of Unwrap that callers tell apart.
var (
	ErrNotForMe      = errors.New("the wrap is not addressed to this identity")
	ErrImpersonation = errors.New("the seal is signed by someone other than the message's author")
	ErrMalformed     = errors.New("malformed wrap")
)

// Unwrap opens a gift wrap addressed to me and returns the rumor, with its
// author proven by the seal's signature. Whatever is wrong (not for me,
// damaged, forged, a seal by someone else than the rumor's author) is an
// error saying what.
func Unwrap(wrap *nostr.Event, me Identity) (*nostr.Event, error) {
	if wrap.Kind != event.KindGiftWrap {
		return nil, fmt.Errorf("%w: kind %d is not a gift wrap (1059)", ErrMalformed, wrap.Kind)
	}
	addressed := false
	for _, t := range wrap.Tags {
		if len(t) >= 2 && t[0] == "p" && t[1] == me.PubKey() {
			addressed = true
		}
	}
	if !addressed {
		return nil, ErrNotForMe
	}
	ck, err := me.ConversationKey(wrap.PubKey)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	sealJSON, err := Decrypt(wrap.Content, ck)
	if err != nil {
		return nil, err
	}
	seal := new(nostr.Event)
	if err := easyjson.Unmarshal([]byte(sealJSON), seal); err != nil {
		return nil, fmt.Errorf("%w: the seal is not an event: %v", ErrMalformed, err)
	}
	if seal.Kind != event.KindSeal {
		return nil, fmt.Errorf("%w: the seal has kind %d, not 13", ErrMalformed, seal.Kind)
	}
	if len(seal.Tags) != 0 {
		return nil, fmt.Errorf("%w: a seal must have no tags", ErrMalformed)
	}
	if err := event.Check(seal, event.Limits{}, time.Now().Add(maxJitter)); err != nil {
		return nil, fmt.Errorf("%w: seal: %v", ErrMalformed, err)
	}
	if err := event.Verify(seal); err != nil {
		return nil, fmt.Errorf("%w: seal: %v", ErrMalformed, err)
	}
	ck2, err := me.ConversationKey(seal.PubKey)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	rumorJSON, err := Decrypt(seal.Content, ck2)
	if err != nil {
		return nil, err
	}
	rumor := new(nostr.Event)
	if err := easyjson.Unmarshal([]byte(rumorJSON), rumor); err != nil {
		return nil, fmt.Errorf("%w: the message is not an event: %v", ErrMalformed, err)
	}
	if rumor.PubKey != seal.PubKey {
		return nil, ErrImpersonation
	}
	if !event.IsHexID(rumor.PubKey) || !event.ValidKind(rumor.Kind) {
		return nil, fmt.Errorf("%w: the message's fields are invalid", ErrMalformed)
	}
	for i, t := range rumor.Tags {
		if len(t) == 0 {
			return nil, fmt.Errorf("%w: the message's tag %d is empty", ErrMalformed, i)
		}
	}
	id := rumor.GetID()
	if rumor.ID != "" && rumor.ID != id {
		return nil, fmt.Errorf("%w: the message's id does not match its content", ErrMalformed)
	}
	rumor.ID = id
	rumor.Sig = ""
	return rumor, nil
}

// Recipients lists the "p" tags of a rumor: who it is for.
func Recipients(rumor *nostr.Event) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range rumor.Tags {
		if len(t) >= 2 && t[0] == "p" && event.IsHexID(t[1]) && !seen[t[1]] {
			seen[t[1]] = true
			out = append(out, t[1])
		}
	}
	return out
}
