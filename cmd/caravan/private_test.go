package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/apps"
	"github.com/caravan-mesh/caravan/internal/evtest"
)

// TestDataDirPrivate runs a node in a data directory that already
// existed as 0755, with a store, a keys folder and a config file others
// could read, does some of everything (an identity, a note, an upload, a
// peer, a setting, the program published), and walks the directory
// while the node serves and after it stops: every folder is 0700 and
// every file 0600 (or stricter), the store's log files included.
func TestDataDirPrivate(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("permission bits do not apply on Windows")
	}
	bin := caravanBinary(t)
	data := filepath.Join(t.TempDir(), "data")
	for _, d := range []string{data, filepath.Join(data, "keys")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		os.Chmod(d, 0o755) // whatever the umask
	}
	for name, content := range map[string]string{"events.db": "", "config.json": "{}\n"} {
		p := filepath.Join(data, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, 0o644)
	}

	me := evtest.NewKey("aigerim, who shares a computer")
	withIdentity(t, bin, data, "aigerim", me)
	s := startServe(t, bin, data)
	caravan(t, bin, data, "post", "Written on a shared computer.")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if code, reason, err := s.upload(ctx, me, []byte("a photo of the market")); err != nil || code != http.StatusCreated {
		t.Fatalf("upload: %d %q %v", code, reason, err)
	}
	caravan(t, bin, data, "peers", "add", "ws://127.0.0.1:9")
	caravan(t, bin, data, "lan", "off")
	caravan(t, bin, data, "apps", "publish", releaseFolder(t))

	checkPrivate(t, data, "while serving")
	s.stop(t)
	checkPrivate(t, data, "after the node stopped")
}

// checkPrivate fails the test for each folder under dir that is not 0700
// and each file that others, or the group, may read or write.
func checkPrivate(t *testing.T, dir, when string) {
	t.Helper()
	var files []string
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		fi, err := d.Info()
		if err != nil {
			return nil // gone while walking (a temporary file)
		}
		rel, _ := filepath.Rel(dir, path)
		switch perm := fi.Mode().Perm(); {
		case d.IsDir() && perm != 0o700:
			t.Errorf("%s: folder %s is %#o, want 0700", when, rel, perm)
		case !d.IsDir() && perm&^0o600 != 0:
			t.Errorf("%s: file %s is %#o, want 0600 or stricter", when, rel, perm)
		}
		files = append(files, rel)
		return nil
	})
	t.Logf("%s: %v", when, files)
}

// releaseFolder writes a folder as scripts/release does, with one
// stand-in binary.
func releaseFolder(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	bin := "\x7fELF a stand-in for the program"
	sum := sha256.Sum256([]byte(bin))
	for name, content := range map[string]string{
		"caravan-linux-amd64": bin,
		apps.SumsFile:         string(apps.FormatSums([]apps.Sum{{SHA256: hex.EncodeToString(sum[:]), Name: "caravan-linux-amd64"}})),
		apps.VersionFile:      "v1.2.3\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
