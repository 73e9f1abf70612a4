package nodetest

import (
	"bytes"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nbd-wtf/go-nostr/nip19"
)

// NoPlainKey fails the test if any file under dir holds the secret key
// nsec in plain text: as the nsec, in hex (either case) or as its 32 raw
// bytes; or holds any nsec at all.
func NoPlainKey(t testing.TB, dir, nsec string) {
	t.Helper()
	_, v, err := nip19.Decode(nsec)
	if err != nil {
		t.Fatal(err)
	}
	hexKey := v.(string)
	raw, _ := hex.DecodeString(hexKey)
	forms := map[string][]byte{
		"as its nsec": []byte(nsec), "in hex": []byte(hexKey),
		"in upper-case hex": []byte(strings.ToUpper(hexKey)), "as raw bytes": raw,
		"an nsec": []byte("nsec1"),
	}
	files := 0
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		for how, f := range forms {
			if bytes.Contains(b, f) {
				t.Errorf("%s holds the secret key %s", path, how)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("no plain key in %d files under %s", files, dir)
}
