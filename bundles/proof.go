package bundles

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/keys"
	"github.com/nbd-wtf/go-nostr"
)

// The maker's proof (event.KindBundleProof) is its signed word inside a
// bundle: who made it (the signer), the bundle's id (a "bundle" tag), whom
// it was made for ("p" tags) and which bundles from them the maker has read
// ("ack" tags). It is in the ephemeral range: relays and nodes never store
// it.

// bundleProof signs the proof for bundle id with the default identity; a
// locked identity makes an unsigned bundle (nil).
func (s *Service) bundleProof(ctx context.Context, id, forPeer string) (json.RawMessage, error) {
	ev := &nostr.Event{Kind: event.KindBundleProof, CreatedAt: nostr.Timestamp(s.p.Now().Unix()), Tags: nostr.Tags{{"bundle", id}}}
	if forPeer != "" {
		ev.Tags = append(ev.Tags, nostr.Tag{"p", forPeer})
		acks, err := s.p.Store.BundlesFrom(ctx, forPeer, 64)
		if err != nil {
			return nil, err
		}
		for _, a := range acks {
			ev.Tags = append(ev.Tags, nostr.Tag{"ack", hex.EncodeToString(a)})
		}
	}
	if err := s.p.Keys.Sign("", ev); errors.Is(err, keys.ErrLocked) || errors.Is(err, keys.ErrNoIdentity) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	return json.Marshal(ev)
}

// proofOf checks a bundle's proof: a valid signature, the right kind and
// this bundle's id. It returns the maker, whom it was for, and its acks.
func proofOf(raw json.RawMessage, id string) (from string, forPeers []string, acks [][]byte, err error) {
	var ev nostr.Event
	if err := json.Unmarshal(raw, &ev); err != nil {
		return "", nil, nil, fmt.Errorf("the maker's proof does not parse: %v", err)
	}
	if err := event.Verify(&ev); err != nil {
		return "", nil, nil, fmt.Errorf("the maker's proof: %v", err)
	}
	if ev.Kind != event.KindBundleProof {
		return "", nil, nil, fmt.Errorf("the maker's proof is of kind %d", ev.Kind)
	}
	named := false
	for _, t := range ev.Tags {
		if len(t) < 2 {
			continue
		}
		switch t[0] {
		case "bundle":
			named = named || t[1] == id
		case "p":
			forPeers = append(forPeers, t[1])
		case "ack":
			if b, err := hex.DecodeString(t[1]); err == nil && len(b) == 16 {
				acks = append(acks, b)
			}
		}
	}
	if !named {
		return "", nil, nil, errors.New("the maker's proof is for another bundle")
	}
	return ev.PubKey, forPeers, acks, nil
}

// newBundleID is a fresh bundle id from the node's randomness.
func (s *Service) newBundleID() string {
	b := make([]byte, 16)
	if _, err := io.ReadFull(s.p.Rand, b); err != nil {
		// As the core's ids: a broken simulation or test, and ids must
		// not silently repeat.
		panic(fmt.Sprintf("bundles: the random source failed: %v", err))
	}
	return hex.EncodeToString(b)
}
