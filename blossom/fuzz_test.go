package blossom

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/event"
)

// FuzzAuthorization reads the Authorization header of a Blossom request
// from anyone: it names a signer only for a well-formed, signed, unexpired
// kind-24242 event for that verb (and blob), and otherwise refuses with a
// 400 or 401 and words saying why.
func FuzzAuthorization(f *testing.F) {
	sum := strings.Repeat("ab", 32)
	good := auth(alice, "upload", now.Add(time.Hour), sum)
	for _, s := range []string{
		good, auth(alice, "upload", now.Add(-time.Hour), sum), auth(alice, "delete", now.Add(time.Hour), sum),
		strings.Replace(good, "Nostr ", "Bearer ", 1), "Nostr ", "Nostr !!!", "Nostr e30=", "Nostr bnVsbA", "",
	} {
		f.Add(s, "upload", sum)
	}
	s := New(nil, Options{Now: func() time.Time { return now }})
	f.Fuzz(func(t *testing.T, header, verb, x string) {
		r := httptest.NewRequest("PUT", "/upload", nil)
		r.Header.Set("Authorization", header)
		pk, code, err := s.authorize(r, verb, x)
		if err != nil {
			if code != 400 && code != 401 || err.Error() == "" {
				t.Fatalf("refused with %d %q", code, err)
			}
			return
		}
		if code != 0 || !event.IsHexID(pk) {
			t.Fatalf("accepted as %q with %d", pk, code)
		}
		if pk != alice.Public {
			t.Fatalf("accepted a signature by %s, which no seed has", pk)
		}
	})
}

// FuzzBlobPath reads request paths: a blob is named only by 64 hex
// digits (any case, any extension), in lower case.
func FuzzBlobPath(f *testing.F) {
	for _, s := range []string{
		"/" + strings.Repeat("ab", 32), "/" + strings.Repeat("AB", 32) + ".jpg", "/upload", "/list/x", "/",
		"/" + strings.Repeat("ab", 31) + ".bin", "/../" + strings.Repeat("0", 64), "//" + strings.Repeat("0", 64),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		sum, ok := parseHashPath(path)
		if !ok {
			return
		}
		if !event.IsHexID(sum) {
			t.Fatalf("%q read as blob %q", path, sum)
		}
		if !IsBlobPath(path) || !IsBlobPath("/"+sum) {
			t.Fatalf("%q names blob %s but is not a blob path", path, sum)
		}
	})
}
