package site

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// marker is the file that tells Build a directory holds a site it wrote.
const (
	marker     = ".caravan-site"
	markerText = "This directory was written by Caravan (package site).\nBuilding the site again replaces all of it.\n"
)

// target is a build in progress: the site is written into tmp, next to
// dir so that renaming it into place stays on one file system.
type target struct {
	dir  string // absolute, symbolic links resolved
	tmp  string
	root *os.Root // tmp
}

// prepare checks that dir may be replaced and creates the temporary
// directory the site is written into.
func prepare(dir string) (*target, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("site: %w", err)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	parent, base := filepath.Split(abs)
	if base == "" || base == "." || base == ".." {
		return nil, fmt.Errorf("site: cannot build a site in %s; hint: name a directory for the site, such as %s", abs, filepath.Join(abs, "site"))
	}
	if err := checkTarget(abs); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("site: %w", err)
	}
	removeStale(parent, base)

	tmp, err := os.MkdirTemp(parent, tmpPrefix(base, "build"))
	if err != nil {
		return nil, fmt.Errorf("site: creating a temporary directory next to %s: %w", abs, err)
	}
	t := &target{dir: abs, tmp: tmp}
	if err := os.Chmod(tmp, 0o755); err != nil {
		t.abort()
		return nil, fmt.Errorf("site: %w", err)
	}
	if t.root, err = os.OpenRoot(tmp); err != nil {
		t.abort()
		return nil, fmt.Errorf("site: %w", err)
	}
	// The marker goes first so that a build interrupted at any point can
	// be recognised, and cleaned up, as ours.
	if err := t.root.WriteFile(marker, []byte(markerText), 0o644); err != nil {
		t.abort()
		return nil, fmt.Errorf("site: %w", err)
	}
	return t, nil
}

// checkTarget returns nil if dir does not exist, is empty, or holds a site
// written by Build.
func checkTarget(dir string) error {
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("site: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("site: %s is a file, not a directory (%w); hint: choose another place for the site", dir, ErrNotSite)
	}
	if _, err := os.Lstat(filepath.Join(dir, marker)); err == nil {
		return nil
	}
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("site: %w", err)
	}
	defer f.Close()
	names, err := f.Readdirnames(1)
	if len(names) == 0 && errors.Is(err, io.EOF) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("site: reading %s: %w", dir, err)
	}
	return fmt.Errorf("site: %s holds files that Caravan did not write, such as %q (%w); hint: choose a new or empty directory, or move those files away first", dir, names[0], ErrNotSite)
}

func tmpPrefix(base, what string) string { return "." + base + ".caravan-" + what + "-" }

// removeStale removes what interrupted builds of base left in parent:
// temporary directories that carry the marker.
func removeStale(parent, base string) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || !(strings.HasPrefix(name, tmpPrefix(base, "build")) || strings.HasPrefix(name, tmpPrefix(base, "old"))) {
			continue
		}
		p := filepath.Join(parent, name)
		for _, m := range []string{filepath.Join(p, marker), filepath.Join(p, "site", marker)} {
			if _, err := os.Lstat(m); err == nil {
				os.RemoveAll(p)
				break
			}
		}
	}
}

// commit moves the finished site into place: the previous site, if any,
// is moved aside into a directory of its own, the new one takes its name,
// and only then is the old one removed.
func (t *target) commit() error {
	if err := t.root.Close(); err != nil {
		return fmt.Errorf("site: %w", err)
	}
	t.root = nil
	if err := checkTarget(t.dir); err != nil {
		return err // someone wrote there during the build
	}
	parent, base := filepath.Split(t.dir)
	var aside string
	if _, err := os.Lstat(t.dir); err == nil {
		old, err := os.MkdirTemp(parent, tmpPrefix(base, "old"))
		if err != nil {
			return fmt.Errorf("site: %w", err)
		}
		aside = filepath.Join(old, "site")
		if err := os.Rename(t.dir, aside); err != nil {
			os.Remove(old)
			return fmt.Errorf("site: moving the previous site aside: %w; hint: close programs that use files in %s and try again", err, t.dir)
		}
	}
	if err := os.Rename(t.tmp, t.dir); err != nil {
		if aside != "" {
			os.Rename(aside, t.dir)
			os.Remove(filepath.Dir(aside))
		}
		return fmt.Errorf("site: moving the new site into place: %w", err)
	}
	if aside != "" {
		// If this fails, the next build's removeStale tries again.
		os.RemoveAll(filepath.Dir(aside))
	}
	return nil
}

// abort removes the temporary directory.
func (t *target) abort() {
	if t.root != nil {
		t.root.Close()
	}
	os.RemoveAll(t.tmp)
}
