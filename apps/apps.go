// Package apps hands the program itself to the next person. A person with
// no internet cannot download Caravan, so a neighbour's node offers it: a
// folder of caravan binaries (built by scripts/release), their sums, and the
// sums signed by the node's identity, published in the data directory and
// served as a download page (Handler).
//
// # A published folder
//
//	caravan-linux-amd64 ...   the binaries, any names of [A-Za-z0-9._+-]
//	SHA256SUMS                one line per binary, as sha256sum writes it:
//	                          "<64 hex>  <file name>\n"
//	SHA256SUMS.json           the signature: a JSON array of Nostr events,
//	                          one per line of SHA256SUMS, in the same order
//
// Each event is a NIP-94 file metadata event (kind 1063), signed by the
// publishing identity:
//
//	{"kind": 1063, "pubkey": "<signer>", "created_at": <unix time>,
//	 "content": "Caravan v1.2.3 for Linux PC (64-bit Intel/AMD)",
//	 "tags": [["x", "<sha256 hex>"], ["ox", "<sha256 hex>"],
//	          ["m", "application/x-executable"], ["size", "<bytes>"],
//	          ["name", "caravan-linux-amd64"], ["version", "v1.2.3"],
//	          ["alt", "Caravan program file caravan-linux-amd64"]]}
//
// "name" (the file name, which NIP-94 does not name) and "version" (left
// out when unknown) are ours. There is no "url": a file has no fixed
// address, it is wherever the folder was copied. The events are not stored
// or synced: who hands out the program is nobody else's business.
//
// A folder verifies when every event's id and signature are valid, all
// events have one signer, the events and SHA256SUMS list exactly the same
// names and sums, and every file has its size and sum. Anyone can check it
// with `caravan apps verify DIR`, or with any Nostr tool and sha256sum:
// verify each event's signature, then
//
//	jq -r '.[] | [(.tags[] | select(.[0]=="x"))[1], (.tags[] | select(.[0]=="name"))[1]] | join("  ")' \
//	  SHA256SUMS.json | sha256sum -c --ignore-missing
package apps

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/caravan-mesh/caravan/event"
	"github.com/nbd-wtf/go-nostr"
)

// The files of a folder beside the binaries.
const (
	SumsFile = "SHA256SUMS"
	SigFile  = "SHA256SUMS.json"
	// VersionFile is written by scripts/release: one line, the version
	// of the binaries. Publish reads it; it is not published.
	VersionFile = "VERSION"
)

// Bounds on what is read from a folder, so that a damaged or hostile one
// cannot exhaust memory.
const (
	MaxFiles    = 64
	MaxFileSize = 1 << 30
	maxSums     = 64 << 10
	maxSig      = 1 << 20
	maxName     = 100
	maxVersion  = 64
)

// ErrNothingPublished means the data directory holds no program files.
var ErrNothingPublished = errors.New("no program files are published on this node")

// Error is a problem with a folder: what is wrong, where, and what to do.
type Error struct {
	Path string // the file or folder at fault
	What string
	Hint string
}

func (e *Error) Error() string {
	if e.Path == "" {
		return e.What
	}
	return e.Path + ": " + e.What
}

// File is one binary of a folder.
type File struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	MIME   string `json:"mime"`
	OS     string `json:"os,omitempty"`   // GOOS, from the name; "" if unknown
	Arch   string `json:"arch,omitempty"` // GOARCH, from the name
}

// Platform is where the file runs, in plain English words.
func (f File) Platform() string { return platformWords("en", f) }

// Sum is one line of SHA256SUMS.
type Sum struct {
	SHA256 string
	Name   string
}

// ParseSums reads SHA256SUMS text: lines of 64 hex digits, a space, a space
// or '*' (binary mode), and a file name. Empty lines and CRLF endings are
// accepted; anything else is an error naming the line.
func ParseSums(b []byte) ([]Sum, error) {
	var sums []Sum
	seen := map[string]bool{}
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			continue
		}
		bad := func(format string, args ...any) error {
			return fmt.Errorf("line %d: %s", i+1, fmt.Sprintf(format, args...))
		}
		if len(line) < 67 || line[64] != ' ' || line[65] != ' ' && line[65] != '*' {
			return nil, bad("is not \"<sha256 in hex>  <file name>\"")
		}
		sum := strings.ToLower(line[:64])
		if !event.IsHexID(sum) {
			return nil, bad("%q is not a sha256 in hex", clip(line[:64]))
		}
		name := line[66:]
		if err := ValidName(name); err != nil {
			return nil, bad("%v", err)
		}
		if seen[name] {
			return nil, bad("%s is listed twice", name)
		}
		seen[name] = true
		if len(sums) == MaxFiles {
			return nil, bad("more than %d files", MaxFiles)
		}
		sums = append(sums, Sum{SHA256: sum, Name: name})
	}
	if len(sums) == 0 {
		return nil, errors.New("lists no files")
	}
	return sums, nil
}

// FormatSums writes sums as sha256sum does.
func FormatSums(sums []Sum) []byte {
	var b bytes.Buffer
	for _, s := range sums {
		fmt.Fprintf(&b, "%s  %s\n", s.SHA256, s.Name)
	}
	return b.Bytes()
}

// ValidName checks a binary's file name: 1 to 100 letters, digits and
// . _ + -, not starting with a dot, and not one of the folder's own files.
// Names this plain are safe in paths, URLs, HTML and headers as they are.
func ValidName(name string) error {
	if name == "" || len(name) > maxName {
		return fmt.Errorf("file name %q is empty or longer than %d characters", clip(name), maxName)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._+-", r)) {
			return fmt.Errorf("file name %q may only hold letters, digits and . _ + - (no folders)", clip(name))
		}
	}
	if name[0] == '.' {
		return fmt.Errorf("file name %q starts with a dot", name)
	}
	if name == SumsFile || name == SigFile || name == VersionFile {
		return fmt.Errorf("%s cannot be one of the binaries", name)
	}
	return nil
}

func validVersion(v string) error {
	if v == "" || len(v) > maxVersion {
		return fmt.Errorf("version %q is empty or longer than %d characters", clip(v), maxVersion)
	}
	for _, r := range v {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._+-", r)) {
			return fmt.Errorf("version %q may only hold letters, digits and . _ + -", clip(v))
		}
	}
	return nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// knownOS are the GOOS values a binary's name is recognised by.
var knownOS = map[string]bool{"linux": true, "windows": true, "darwin": true, "freebsd": true, "openbsd": true, "netbsd": true, "android": true}

// newFile describes a binary from its name (caravan-<goos>-<goarch>, with
// armv7 for GOARCH arm and .exe on Windows).
func newFile(name, sum string, size int64) File {
	f := File{Name: name, SHA256: sum, Size: size, MIME: "application/octet-stream"}
	parts := strings.Split(strings.TrimSuffix(name, ".exe"), "-")
	if n := len(parts); n >= 3 && knownOS[parts[n-2]] {
		f.OS, f.Arch = parts[n-2], parts[n-1]
		if strings.HasPrefix(f.Arch, "armv") {
			f.Arch = "arm"
		}
	}
	switch f.OS {
	case "linux", "android", "freebsd", "openbsd", "netbsd":
		f.MIME = "application/x-executable"
	case "windows":
		f.MIME = "application/vnd.microsoft.portable-executable"
	case "darwin":
		f.MIME = "application/x-mach-binary"
	}
	return f
}

// NameFor is the name scripts/release gives the binary for goos/goarch.
func NameFor(goos, goarch string) string {
	name := "caravan-" + goos + "-" + goarch
	if goarch == "arm" {
		name += "v7"
	}
	if goos == "windows" {
		name += ".exe"
	}
	return name
}

// fileEvent is the unsigned NIP-94 event for f.
func fileEvent(f File, version string, created nostr.Timestamp) *nostr.Event {
	desc := "Caravan"
	if version != "" {
		desc += " " + version
	}
	desc += " for " + f.Platform()
	tags := nostr.Tags{
		{"x", f.SHA256},
		{"ox", f.SHA256},
		{"m", f.MIME},
		{"size", strconv.FormatInt(f.Size, 10)},
		{"name", f.Name},
	}
	if version != "" {
		tags = append(tags, nostr.Tag{"version", version})
	}
	tags = append(tags, nostr.Tag{"alt", "Caravan program file " + f.Name})
	return &nostr.Event{Kind: event.KindFileMetadata, CreatedAt: created, Content: desc, Tags: tags}
}

// parseEvent checks one event of a signature file and returns the file it
// describes and its version.
func parseEvent(ev *nostr.Event) (File, string, error) {
	if ev.Kind != event.KindFileMetadata {
		return File{}, "", fmt.Errorf("an event is of kind %d, not %d (NIP-94 file metadata)", ev.Kind, event.KindFileMetadata)
	}
	get := func(k string) string {
		if t := ev.Tags.Find(k); len(t) >= 2 {
			return t[1]
		}
		return ""
	}
	name, x, size, version := get("name"), get("x"), get("size"), get("version")
	if err := ValidName(name); err != nil {
		return File{}, "", fmt.Errorf("event %s: %v", clip(ev.ID), err)
	}
	if !event.IsHexID(x) {
		return File{}, "", fmt.Errorf("the entry for %s has no sha256 (\"x\" tag)", name)
	}
	n, err := strconv.ParseInt(size, 10, 64)
	if err != nil || n < 0 || n > MaxFileSize {
		return File{}, "", fmt.Errorf("the entry for %s has no valid size", name)
	}
	if version != "" {
		if err := validVersion(version); err != nil {
			return File{}, "", fmt.Errorf("the entry for %s: %v", name, err)
		}
	}
	if err := event.Verify(ev); err != nil {
		return File{}, "", fmt.Errorf("the signature of the entry for %s does not verify (%v): it was changed after it was signed", name, err)
	}
	return newFile(name, x, n), version, nil
}
