package apps

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/caravan-mesh/caravan/keys"
	"github.com/nbd-wtf/go-nostr"
)

// Set is a folder that verified: its binaries, their version and signer.
type Set struct {
	Dir     string    `json:"dir"`
	Version string    `json:"version,omitempty"`
	Signer  string    `json:"signer"` // hex public key
	NPub    string    `json:"npub"`
	Signed  time.Time `json:"signed"` // the newest event's created_at
	Files   []File    `json:"files"`
	// Missing lists files of SHA256SUMS absent from the folder (only
	// with VerifyOptions.AllowMissing).
	Missing []string `json:"missing,omitempty"`
	// PreviousSigner is, after Publish, who had signed the source
	// folder, if it was signed.
	PreviousSigner string `json:"previous_signer,omitempty"`

	events []*nostr.Event
	sums   []byte                 // SHA256SUMS as read (or written)
	sig    []byte                 // SHA256SUMS.json as read (or written)
	infos  map[string]os.FileInfo // each file as hashed, for Handler
}

// Events returns the signed events, one per file.
func (s *Set) Events() []*nostr.Event { return s.events }

// VerifyOptions change what Verify accepts.
type VerifyOptions struct {
	// AllowMissing accepts a folder where some listed binaries are
	// absent (someone downloaded only theirs with the two sum files); at
	// least one must be present.
	AllowMissing bool
}

// Verify checks a folder: its signature file, its SHA256SUMS, and the sum
// and size of every binary. See the package documentation.
func Verify(dir string, o VerifyOptions) (*Set, error) {
	sumsB, sums, err := readSums(dir)
	if err != nil {
		return nil, err
	}
	sigPath := filepath.Join(dir, SigFile)
	sigB, err := readLimited(sigPath, maxSig)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &Error{Path: sigPath, What: "is missing, so nobody vouches for these sums",
			Hint: "get it from the same place as the files; to sign files you built or checked yourself, publish them with 'caravan apps publish'"}
	}
	if err != nil {
		return nil, &Error{Path: sigPath, What: err.Error()}
	}
	set, err := checkSignature(sigB, sums)
	if err != nil {
		return nil, &Error{Path: sigPath, What: err.Error(),
			Hint: "do not trust these files; get them again from someone you trust"}
	}
	set.Dir, set.sums, set.sig = dir, sumsB, sigB
	set.infos = map[string]os.FileInfo{}
	for _, f := range set.Files {
		p := filepath.Join(dir, f.Name)
		if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) && o.AllowMissing {
			set.Missing = append(set.Missing, f.Name)
			continue
		}
		fi, err := checkFile(p, f)
		if err != nil {
			return nil, err
		}
		set.infos[f.Name] = fi
	}
	if len(set.infos) == 0 {
		return nil, &Error{Path: dir, What: "holds none of the files that " + SumsFile + " lists",
			Hint: "put the downloaded binary in the same folder as " + SumsFile + " and " + SigFile}
	}
	return set, nil
}

// readSums reads and parses dir's SHA256SUMS.
func readSums(dir string) ([]byte, []Sum, error) {
	p := filepath.Join(dir, SumsFile)
	b, err := readLimited(p, maxSums)
	if errors.Is(err, fs.ErrNotExist) {
		if st, serr := os.Stat(dir); serr != nil || !st.IsDir() {
			return nil, nil, &Error{Path: dir, What: "is not a folder", Hint: "give the folder that holds the binaries and " + SumsFile}
		}
		return nil, nil, &Error{Path: p, What: "is missing: the folder needs the sums of its binaries",
			Hint: "scripts/release writes it; or write it yourself with 'sha256sum caravan-* > " + SumsFile + "'"}
	}
	if err != nil {
		return nil, nil, &Error{Path: p, What: err.Error()}
	}
	sums, err := ParseSums(b)
	if err != nil {
		return nil, nil, &Error{Path: p, What: err.Error(),
			Hint: "each line must be a sha256 in hex, two spaces and a file name, as sha256sum writes them"}
	}
	return b, sums, nil
}

func readLimited(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("is over %d bytes; it cannot be a sums or signature file", max)
	}
	return b, nil
}

// checkSignature verifies the signature file against the sums and returns
// the set it describes (without files checked).
func checkSignature(b []byte, sums []Sum) (*Set, error) {
	var evs []*nostr.Event
	if err := json.Unmarshal(b, &evs); err != nil {
		return nil, fmt.Errorf("is not a JSON array of Nostr events: %v", err)
	}
	if len(evs) != len(sums) {
		return nil, fmt.Errorf("signs %d files but %s lists %d", len(evs), SumsFile, len(sums))
	}
	set := &Set{events: evs}
	var newest nostr.Timestamp
	for i, ev := range evs {
		if ev == nil {
			return nil, fmt.Errorf("entry %d is not an event", i+1)
		}
		f, version, err := parseEvent(ev)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			set.Signer, set.Version = ev.PubKey, version
		} else if ev.PubKey != set.Signer {
			return nil, fmt.Errorf("the entries have different signers (%s and %s)", npub(set.Signer), npub(ev.PubKey))
		} else if version != set.Version {
			return nil, fmt.Errorf("the entries give different versions (%q and %q)", set.Version, version)
		}
		if s := sums[i]; s.Name != f.Name || s.SHA256 != f.SHA256 {
			return nil, fmt.Errorf("entry %d signs %s with sha256 %s, but line %d of %s is %s with %s",
				i+1, f.Name, f.SHA256, i+1, SumsFile, s.Name, s.SHA256)
		}
		newest = max(newest, ev.CreatedAt)
		set.Files = append(set.Files, f)
	}
	set.NPub = npub(set.Signer)
	set.Signed = newest.Time().UTC()
	return set, nil
}

func npub(hexKey string) string { return keys.PublicKey(hexKey).NPub() }

// checkFile hashes the file at p and compares it with f; it returns the
// file's info as hashed.
func checkFile(p string, f File) (os.FileInfo, error) {
	fh, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &Error{Path: p, What: "is listed in " + SumsFile + " but is not in the folder",
			Hint: "copy it into the folder, or remove its line from " + SumsFile}
	}
	if err != nil {
		return nil, &Error{Path: p, What: err.Error()}
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return nil, &Error{Path: p, What: err.Error()}
	}
	if !fi.Mode().IsRegular() {
		return nil, &Error{Path: p, What: "is not a regular file"}
	}
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(fh, MaxFileSize+1))
	if err != nil {
		return nil, &Error{Path: p, What: "cannot be read: " + err.Error()}
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != f.SHA256 {
		return nil, sumMismatch(p, got, f.SHA256)
	}
	if n != f.Size {
		return nil, &Error{Path: p, What: fmt.Sprintf("has %d bytes, but its signed size is %d", n, f.Size),
			Hint: "the file was changed; get it again"}
	}
	return fi, nil
}

func sumMismatch(p, got, want string) error {
	return &Error{Path: p, What: fmt.Sprintf("its sha256 is %s, but %s says %s", got, SumsFile, want),
		Hint: "the file is damaged or was changed: copy it again from where it came from, or rebuild it with scripts/release"}
}
