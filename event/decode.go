package event

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/mailru/easyjson"
	"github.com/nbd-wtf/go-nostr"
	"github.com/tidwall/gjson"
)

var eventFields = []string{"id", "pubkey", "created_at", "kind", "tags", "content", "sig"}

// DecodeEvent decodes one event object strictly enough that what comes out
// can be validated: an object, with every field of the right JSON type.
func DecodeEvent(raw []byte) (*nostr.Event, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil, fmt.Errorf("the event must be a JSON object")
	}
	if !utf8.Valid(raw) {
		return nil, fmt.Errorf("the event is not valid UTF-8")
	}
	// easyjson skips null fields and fields of unknown names, so check the
	// presence and types of the required ones first (gjson scans without
	// decoding; this path carries every event a sync pulls).
	if !gjson.ValidBytes(raw) {
		var v any
		return nil, fmt.Errorf("event: %s", JSONError(json.Unmarshal(raw, &v)))
	}
	fields := gjson.GetManyBytes(raw, eventFields...)
	for i, f := range fields {
		name := eventFields[i]
		switch {
		case !f.Exists() || f.Type == gjson.Null:
			if name == "tags" {
				return nil, fmt.Errorf("event has no tags (use [] for none)")
			}
			return nil, fmt.Errorf("event has no %s", name)
		case name == "created_at" || name == "kind":
			if f.Type != gjson.Number || strings.ContainsAny(f.Raw, ".eE") {
				return nil, fmt.Errorf("%s must be an integer, got %s", name, Clip(f.Raw))
			}
		case name == "tags":
			if !f.IsArray() {
				return nil, fmt.Errorf("tags must be an array of arrays of strings")
			}
		default:
			if f.Type != gjson.String {
				return nil, fmt.Errorf("%s must be a string, got %s", name, Clip(f.Raw))
			}
		}
	}
	ev := new(nostr.Event)
	if err := easyjson.Unmarshal(raw, ev); err != nil {
		return nil, fmt.Errorf("event: %v", err)
	}
	return ev, nil
}

// DecodeFilter decodes one NIP-01 filter and checks it can be answered.
func DecodeFilter(raw []byte) (nostr.Filter, error) {
	var f nostr.Filter
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return f, fmt.Errorf("a filter must be a JSON object")
	}
	var shape map[string]json.RawMessage
	if err := json.Unmarshal(raw, &shape); err != nil {
		return f, fmt.Errorf("%s", JSONError(err))
	}
	for k, v := range shape {
		var err error
		switch {
		case k == "ids" || k == "authors" || (len(k) > 1 && k[0] == '#'):
			var s []string
			err = json.Unmarshal(v, &s)
		case k == "kinds":
			var s []int
			err = json.Unmarshal(v, &s)
		case k == "since" || k == "until" || k == "limit":
			var n int64
			err = json.Unmarshal(v, &n)
			if err == nil && n < 0 {
				err = fmt.Errorf("must not be negative")
			}
		case k == "search":
			var s string
			err = json.Unmarshal(v, &s)
		}
		if err != nil {
			return f, fmt.Errorf("%q has the wrong type: %s", Clip(k), JSONError(err))
		}
	}
	if err := easyjson.Unmarshal(raw, &f); err != nil {
		return f, fmt.Errorf("%v", err)
	}
	return f, nil
}

// JSONError says what is wrong with JSON that failed to decode, and
// where, in words for the sender of a refused message.
func JSONError(err error) string {
	if err == nil {
		return "invalid JSON"
	}
	if se, ok := err.(*json.SyntaxError); ok {
		return fmt.Sprintf("%v at byte %d", se, se.Offset)
	}
	if te, ok := err.(*json.UnmarshalTypeError); ok {
		return fmt.Sprintf("expected %s for %q, got %s", te.Type, te.Field, te.Value)
	}
	return err.Error()
}

// Clip shortens text quoted back in an error to 60 bytes.
func Clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}
