package relay

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/caravan-mesh/caravan/event"
	"github.com/nbd-wtf/go-nostr"
)

// Message is one client-to-relay message, decoded.
type Message struct {
	Label   string         // EVENT, REQ, CLOSE, COUNT, AUTH, or another label
	SubID   string         // REQ, CLOSE, COUNT
	Event   *nostr.Event   // EVENT
	Filters []nostr.Filter // REQ, COUNT, NEG-OPEN (one)
	Neg     []byte         // NEG-OPEN, NEG-MSG: the negentropy message, decoded from hex
	Raw     []json.RawMessage
}

// ParseError is a message that cannot be decoded. EventID and SubID are set
// when they could be read, so the relay can answer with OK or CLOSED rather
// than a bare NOTICE.
type ParseError struct {
	Label   string
	EventID string
	SubID   string
	Msg     string
}

func (e *ParseError) Error() string { return "invalid: " + e.Msg }

// MaxSubIDLength is NIP-01's limit on subscription ids.
const MaxSubIDLength = 64

// ParseMessage decodes a client message. It never panics, whatever the
// input; every failure is a *ParseError saying what was wrong.
func ParseMessage(b []byte, maxFilters int) (*Message, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '[' {
		return nil, &ParseError{Msg: "a message must be a JSON array like [\"REQ\", ...]"}
	}
	if !utf8.Valid(b) {
		return nil, &ParseError{Msg: "message is not valid UTF-8"}
	}
	var parts []json.RawMessage
	if err := json.Unmarshal(b, &parts); err != nil {
		return nil, &ParseError{Msg: "message is not valid JSON: " + event.JSONError(err)}
	}
	if len(parts) == 0 {
		return nil, &ParseError{Msg: "empty array; the first element must be the message type"}
	}
	m := &Message{Raw: parts}
	if err := json.Unmarshal(parts[0], &m.Label); err != nil {
		return nil, &ParseError{Msg: "the first element must be a string naming the message type"}
	}
	switch m.Label {
	case "EVENT":
		if len(parts) != 2 {
			return nil, &ParseError{Label: m.Label, Msg: fmt.Sprintf("EVENT takes one event, got %d elements after the label", len(parts)-1)}
		}
		ev, err := event.DecodeEvent(parts[1])
		if err != nil {
			return nil, &ParseError{Label: m.Label, EventID: peekID(parts[1]), Msg: err.Error()}
		}
		m.Event = ev
	case "REQ", "COUNT":
		if len(parts) < 3 {
			sub, _ := subID(parts, 1)
			return nil, &ParseError{Label: m.Label, SubID: sub, Msg: m.Label + " needs a subscription id and at least one filter"}
		}
		sub, err := subID(parts, 1)
		if err != nil {
			return nil, &ParseError{Label: m.Label, Msg: err.Error()}
		}
		m.SubID = sub
		if len(parts)-2 > maxFilters {
			return nil, &ParseError{Label: m.Label, SubID: sub, Msg: fmt.Sprintf("%d filters in one %s; the limit is %d", len(parts)-2, m.Label, maxFilters)}
		}
		for i, raw := range parts[2:] {
			f, err := event.DecodeFilter(raw)
			if err != nil {
				return nil, &ParseError{Label: m.Label, SubID: sub, Msg: fmt.Sprintf("filter %d: %v", i+1, err)}
			}
			m.Filters = append(m.Filters, f)
		}
	case "CLOSE":
		if len(parts) != 2 {
			return nil, &ParseError{Label: m.Label, Msg: "CLOSE takes exactly one subscription id"}
		}
		sub, err := subID(parts, 1)
		if err != nil {
			return nil, &ParseError{Label: m.Label, Msg: err.Error()}
		}
		m.SubID = sub
	case "NEG-OPEN", "NEG-MSG", "NEG-CLOSE":
		want := map[string]int{"NEG-OPEN": 4, "NEG-MSG": 3, "NEG-CLOSE": 2}[m.Label]
		sub, err := subID(parts, 1)
		if err != nil {
			return nil, &ParseError{Label: m.Label, Msg: err.Error()}
		}
		m.SubID = sub
		if len(parts) != want {
			return nil, &ParseError{Label: m.Label, SubID: sub, Msg: fmt.Sprintf("%s takes %d elements after the label, got %d", m.Label, want-1, len(parts)-1)}
		}
		if m.Label == "NEG-OPEN" {
			f, err := event.DecodeFilter(parts[2])
			if err != nil {
				return nil, &ParseError{Label: m.Label, SubID: sub, Msg: "filter: " + err.Error()}
			}
			m.Filters = []nostr.Filter{f}
		}
		if m.Label != "NEG-CLOSE" {
			var h string
			if err := json.Unmarshal(parts[len(parts)-1], &h); err != nil {
				return nil, &ParseError{Label: m.Label, SubID: sub, Msg: "the negentropy message must be a hex string"}
			}
			if m.Neg, err = hex.DecodeString(h); err != nil || len(h) == 0 {
				return nil, &ParseError{Label: m.Label, SubID: sub, Msg: "the negentropy message is not valid hex"}
			}
		}
	default:
		// Other labels (AUTH, ...) are handled, or refused, by the relay;
		// they keep their raw parts.
	}
	return m, nil
}

func subID(parts []json.RawMessage, i int) (string, error) {
	if len(parts) <= i {
		return "", fmt.Errorf("missing subscription id")
	}
	var s string
	if err := json.Unmarshal(parts[i], &s); err != nil {
		return "", fmt.Errorf("subscription id must be a string")
	}
	if s == "" || len(s) > MaxSubIDLength {
		return "", fmt.Errorf("subscription id must be 1 to %d characters, got %d", MaxSubIDLength, len(s))
	}
	return s, nil
}

func peekID(raw []byte) string {
	var v struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(raw, &v) == nil && event.IsHexID(v.ID) {
		return v.ID
	}
	return ""
}
