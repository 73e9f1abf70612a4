package phone

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"testing"

	"github.com/caravan-mesh/caravan/internal/interoptest"
)

// manifest is vendor/VENDOR.json.
type manifest struct {
	Packages map[string]struct {
		Version   string            `json:"version"`
		Resolved  string            `json:"resolved"`
		Integrity string            `json:"integrity"`
		License   string            `json:"license"`
		SPDX      string            `json:"spdx"`
		Files     map[string]string `json:"files"` // path in the package -> sha256
	} `json:"packages"`
}

func readManifest(t *testing.T) manifest {
	t.Helper()
	b, err := fs.ReadFile(Assets, "vendor/VENDOR.json")
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("vendor/VENDOR.json: %v", err)
	}
	if len(m.Packages) == 0 {
		t.Fatal("vendor/VENDOR.json lists no packages")
	}
	return m
}

// TestVendoredFilesAreListed: every file under vendor/ is one VENDOR.json
// lists, with the sha256 it records, and every package has a licence
// (a licence file, or, for a package that ships none, its SPDX name
// with the notice kept in each file's header).
func TestVendoredFilesAreListed(t *testing.T) {
	m := readManifest(t)
	listed := map[string]string{}
	for name, p := range m.Packages {
		if p.Version == "" || p.Integrity == "" {
			t.Errorf("%s: no version or integrity in VENDOR.json", name)
		}
		if _, ok := p.Files[p.License]; !ok && p.SPDX == "" {
			t.Errorf("%s: no licence file and no licence named", name)
		}
		for f, sum := range p.Files {
			listed[path.Join("vendor", name, f)] = sum
		}
	}
	err := fs.WalkDir(Assets, "vendor", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || p == "vendor/VENDOR.json" {
			return err
		}
		want, ok := listed[p]
		if !ok {
			t.Errorf("%s is vendored but not listed in VENDOR.json", p)
			return nil
		}
		delete(listed, p)
		b, _ := fs.ReadFile(Assets, p)
		if got := sha256.Sum256(b); hex.EncodeToString(got[:]) != want {
			t.Errorf("%s: sha256 %x, VENDOR.json says %s: the file was changed after vendoring", p, got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for p := range listed {
		t.Errorf("VENDOR.json lists %s, which is not vendored", p)
	}
}

// TestVendoredFilesArePublished: each package is the version the interop
// lock pins, with the same published tarball integrity (which `npm ci`
// checks every tarball against), and each vendored file is byte for byte
// the one in that installed package. So the page runs exactly what npm
// publishes for nostr-tools, the @noble libraries and the QR codecs.
func TestVendoredFilesArePublished(t *testing.T) {
	m := readManifest(t)
	dir := interoptest.Dir(t)
	lb, err := os.ReadFile(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	var lock struct {
		Packages map[string]struct {
			Version   string `json:"version"`
			Resolved  string `json:"resolved"`
			Integrity string `json:"integrity"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(lb, &lock); err != nil {
		t.Fatalf("interop/package-lock.json: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "nostr-tools")); err != nil {
		interoptest.Missing(t, "interop/node_modules is not installed")
	}
	for name, p := range m.Packages {
		l, ok := lock.Packages["node_modules/"+name]
		if !ok {
			t.Errorf("%s is vendored but not in interop/package-lock.json", name)
			continue
		}
		if l.Version != p.Version || l.Integrity != p.Integrity || l.Resolved != p.Resolved {
			t.Errorf("%s: vendored %s (%s), the lock pins %s (%s): run scripts/vendor-phone.mjs", name, p.Version, p.Integrity, l.Version, l.Integrity)
		}
		for f := range p.Files {
			want, err := os.ReadFile(filepath.Join(dir, "node_modules", name, filepath.FromSlash(f)))
			if err != nil {
				t.Errorf("%s/%s: %v", name, f, err)
				continue
			}
			got, _ := fs.ReadFile(Assets, path.Join("vendor", name, f))
			if !bytes.Equal(got, want) {
				t.Errorf("vendor/%s/%s differs from the published package's file", name, f)
			}
		}
	}
}
