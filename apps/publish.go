package apps

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/caravan-mesh/caravan/internal/atomicfile"
	"github.com/nbd-wtf/go-nostr"
)

// PublishOptions configure Publish.
type PublishOptions struct {
	// Sign signs an event (setting its pubkey, id and sig). Required.
	Sign func(*nostr.Event) error
	// Now dates the signatures. If nil, time.Now.
	Now func() time.Time
	// Version of the binaries. If "", it is read from the source
	// folder's VERSION file when there is one.
	Version string
}

// Publish copies the binaries that src's SHA256SUMS lists into dst,
// checking each against its sum, and signs the sums. dst is replaced
// whole: it is built beside dst and renamed into place, so readers see the
// old folder or the new one, never a mix. If anything is wrong, nothing is
// published and the error (an *Error for bad input) names the file.
//
// When src holds a signature file already (files downloaded from another
// node), it must verify; its signer is returned as PreviousSigner.
func Publish(dst, src string, o PublishOptions) (*Set, error) {
	set, err := publish(dst, src, o)
	var e *Error
	if errors.As(err, &e) {
		return nil, &Error{Path: e.Path, What: e.What + "; nothing was published", Hint: e.Hint}
	}
	return set, err
}

func publish(dst, src string, o PublishOptions) (*Set, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	_, sums, err := readSums(src)
	if err != nil {
		return nil, err
	}
	version := o.Version
	if version == "" {
		version, err = readVersion(src)
		if err != nil {
			return nil, err
		}
	} else if err := validVersion(version); err != nil {
		return nil, &Error{What: err.Error()}
	}
	var previous string
	if _, err := os.Stat(filepath.Join(src, SigFile)); err == nil {
		prev, err := Verify(src, VerifyOptions{})
		if err != nil {
			var e *Error
			if errors.As(err, &e) && e.Path == filepath.Join(src, SigFile) {
				e.Hint = "the files are not what their signer signed; if you built or checked them yourself, remove " + SigFile + " from the folder and publish again"
			}
			return nil, err
		}
		previous = prev.NPub
	}

	// Sign first, from the sums and sizes, so that a locked identity is
	// reported before anything is copied; the copies are then checked
	// against what was signed.
	files := make([]File, len(sums))
	for i, s := range sums {
		p := filepath.Join(src, s.Name)
		fi, err := os.Stat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, &Error{Path: p, What: "is listed in " + SumsFile + " but is not in the folder",
				Hint: "copy it into the folder, or remove its line from " + SumsFile}
		case err != nil:
			return nil, &Error{Path: p, What: err.Error()}
		case !fi.Mode().IsRegular():
			return nil, &Error{Path: p, What: "is not a regular file"}
		case fi.Size() > MaxFileSize:
			return nil, &Error{Path: p, What: fmt.Sprintf("is over %d bytes; it cannot be a caravan binary", int64(MaxFileSize))}
		}
		files[i] = newFile(s.Name, s.SHA256, fi.Size())
	}
	created := nostr.Timestamp(o.Now().Unix())
	evs := make([]*nostr.Event, len(files))
	for i, f := range files {
		evs[i] = fileEvent(f, version, created)
		if err := o.Sign(evs[i]); err != nil {
			return nil, fmt.Errorf("sign the sums: %w", err)
		}
	}

	parent, base := filepath.Dir(dst), filepath.Base(dst)
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return nil, err
	}
	removeStale(parent, base)
	tmp, err := os.MkdirTemp(parent, "."+base+"-new-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp) // after a successful rename there is nothing left here
	// The folder (0700 from MkdirTemp) and its files (0600) are the
	// user's alone, like the rest of the data directory: the node hands
	// them out over HTTP, nobody needs to read them from the disk.
	for _, f := range files {
		if err := copyChecked(filepath.Join(tmp, f.Name), filepath.Join(src, f.Name), f); err != nil {
			return nil, err
		}
	}
	sig, err := formatEvents(evs)
	if err != nil {
		return nil, err
	}
	sumsB := FormatSums(sums)
	if err := atomicfile.WriteFile(filepath.Join(tmp, SumsFile), sumsB, 0o600); err != nil {
		return nil, err
	}
	if err := atomicfile.WriteFile(filepath.Join(tmp, SigFile), sig, 0o600); err != nil {
		return nil, err
	}
	if err := swapDir(tmp, dst); err != nil {
		return nil, fmt.Errorf("put the files in place: %w", err)
	}
	set, err := Verify(dst, VerifyOptions{})
	if err != nil {
		return nil, fmt.Errorf("the published folder does not verify: %w", err)
	}
	set.PreviousSigner = previous
	return set, nil
}

// formatEvents writes a JSON array with one event per line, which people
// can read and diff, and any JSON reader takes.
func formatEvents(evs []*nostr.Event) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("[\n")
	for i, ev := range evs {
		j, err := json.Marshal(ev)
		if err != nil {
			return nil, err
		}
		b.Write(j)
		if i < len(evs)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString("]\n")
	return b.Bytes(), nil
}

func readVersion(src string) (string, error) {
	p := filepath.Join(src, VersionFile)
	b, err := readLimited(p, 256)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", &Error{Path: p, What: err.Error()}
	}
	v := strings.TrimSpace(string(b))
	if err := validVersion(v); err != nil {
		return "", &Error{Path: p, What: err.Error(), Hint: "it should hold one line, the version scripts/release built"}
	}
	return v, nil
}

// copyChecked copies src to dst, hashing on the way, and fails unless the
// bytes copied are the ones f describes.
func copyChecked(dst, src string, f File) error {
	in, err := os.Open(src)
	if err != nil {
		return &Error{Path: src, What: err.Error()}
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer out.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), io.LimitReader(in, MaxFileSize+1))
	if err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != f.SHA256 {
		return sumMismatch(src, got, f.SHA256)
	}
	if n != f.Size {
		return &Error{Path: src, What: "changed while it was being copied", Hint: "publish again once nothing writes to the folder"}
	}
	if err := out.Sync(); err != nil {
		return err
	}
	return out.Close()
}

// swapDir puts the folder tmp at dst, replacing any folder there. A folder
// cannot be renamed over another, so the old one is first moved aside; a
// crash between the two renames leaves nothing published (never a mix),
// and the next publish cleans up.
func swapDir(tmp, dst string) error {
	old := ""
	if _, err := os.Lstat(dst); err == nil {
		old = tmp + "-old"
		if err := os.Rename(dst, old); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, dst); err != nil {
		if old != "" {
			os.Rename(old, dst)
		}
		return err
	}
	syncDir(filepath.Dir(dst))
	if old != "" {
		os.RemoveAll(old)
	}
	return nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync() // not supported everywhere (Windows); the rename is what matters
		d.Close()
	}
}

// removeStale removes folders an interrupted Publish or Remove left.
func removeStale(parent, base string) {
	olds, _ := filepath.Glob(filepath.Join(parent, "."+base+"-new-*"))
	for _, o := range olds {
		os.RemoveAll(o)
	}
}

// Remove unpublishes: dst is moved aside, then deleted.
func Remove(dst string) error {
	if _, err := os.Lstat(dst); errors.Is(err, fs.ErrNotExist) {
		return ErrNothingPublished
	}
	parent, base := filepath.Dir(dst), filepath.Base(dst)
	removeStale(parent, base)
	tmp, err := os.MkdirTemp(parent, "."+base+"-new-")
	if err != nil {
		return err
	}
	aside := tmp + "-old"
	os.Remove(tmp)
	if err := os.Rename(dst, aside); err != nil {
		return err
	}
	syncDir(parent)
	return os.RemoveAll(aside)
}
