package keys

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ellswift"
	"github.com/btcsuite/btcd/btcutil/bech32"
	"github.com/caravan-mesh/caravan/internal/atomicfile"
	"github.com/caravan-mesh/caravan/internal/convkey"
	"github.com/nbd-wtf/go-nostr"
	"github.com/nbd-wtf/go-nostr/nip19"
	"github.com/nbd-wtf/go-nostr/nip49"
	"golang.org/x/crypto/hkdf"
)

// Errors callers branch on.
var (
	ErrNotFound       = errors.New("no such identity")
	ErrExists         = errors.New("an identity with that name already exists")
	ErrLocked         = errors.New("identity is locked")
	ErrBadPassphrase  = errors.New("wrong passphrase")
	ErrNeedPassphrase = errors.New("a passphrase is required")
	ErrNoIdentity     = errors.New("no identity yet")
	ErrBadName        = errors.New("invalid identity name")
	ErrBadSecret      = errors.New("invalid secret key")
	// ErrBothPassphrases means a passphrase was given together with the
	// request to store the key without one: which was meant is unclear,
	// and a key is never stored in plain text by mistake.
	ErrBothPassphrases = errors.New("a passphrase was given, and also the choice of no passphrase")
)

// DefaultLogN is the NIP-49 scrypt cost for new keys: 2^16 iterations,
// 64 MiB and a fraction of a second, as NIP-49 suggests for interactive use.
const DefaultLogN = 16

// maxLogN refuses ncryptsec strings that ask for absurd scrypt costs: a
// hostile string with log_n=40 would otherwise make us allocate terabytes.
const maxLogN = 22

// Identity describes one key in the keyring, without its secret.
type Identity struct {
	Name      string    `json:"name"`
	PubKey    PublicKey `json:"pubkey"`
	NPub      string    `json:"npub"`
	Encrypted bool      `json:"encrypted"` // false: stored with no passphrase
	Unlocked  bool      `json:"unlocked"`
	Default   bool      `json:"default"`
	CreatedAt time.Time `json:"created_at"`
}

// keyFile is the on-disk form of one identity.
type keyFile struct {
	Version   int       `json:"version"`
	Name      string    `json:"name"`
	PubKey    string    `json:"pubkey"`
	NCryptSec string    `json:"ncryptsec,omitempty"`
	NSec      string    `json:"nsec,omitempty"` // only when the user chose no passphrase
	CreatedAt time.Time `json:"created_at"`
}

// Keyring is a directory of identities. It is safe for concurrent use.
type Keyring struct {
	dir string
	// LogN is the scrypt cost for keys encrypted from now on. If zero,
	// DefaultLogN. Tests lower it.
	LogN uint8
	// Rand is the source of new secret keys. If nil, crypto/rand.
	Rand io.Reader
	// Now is the clock for creation times. If nil, time.Now.
	Now func() time.Time

	mu       sync.Mutex
	unlocked map[string]string // name -> secret hex
	version  atomic.Int64      // bumped when an identity is added
}

// Version changes whenever an identity is added, so that users of the
// set of public keys know to look again.
func (k *Keyring) Version() int64 { return k.version.Load() }

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$`)

// CheckName says whether name can name an identity.
func CheckName(name string) error {
	if !nameRE.MatchString(name) || name == "default" {
		return fmt.Errorf("%w %q: use 1 to 32 letters, digits, '.', '_' or '-', starting with a letter or digit (and not \"default\")", ErrBadName, name)
	}
	return nil
}

// OpenKeyring opens the keyring in dir, creating the directory if needed.
// Identities stored without a passphrase are unlocked at once.
func OpenKeyring(dir string) (*Keyring, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create keyring directory: %w", err)
	}
	k := &Keyring{dir: dir, unlocked: map[string]string{}}
	files, err := k.files()
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		if f.NSec != "" {
			sk, err := parseSecret(f.NSec)
			if err != nil {
				return nil, fmt.Errorf("identity %s: stored key is unreadable: %v", f.Name, err)
			}
			k.unlocked[f.Name] = sk
		}
	}
	return k, nil
}

func (k *Keyring) now() time.Time {
	if k.Now != nil {
		return k.Now()
	}
	return time.Now()
}

func (k *Keyring) logN() uint8 {
	if k.LogN != 0 {
		return k.LogN
	}
	return DefaultLogN
}

func (k *Keyring) path(name string) string { return filepath.Join(k.dir, name+".json") }

func (k *Keyring) files() ([]keyFile, error) {
	entries, err := os.ReadDir(k.dir)
	if err != nil {
		return nil, fmt.Errorf("read keyring: %w", err)
	}
	var out []keyFile
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || e.IsDir() || CheckName(name) != nil {
			continue
		}
		f, err := k.read(name)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out, nil
}

func (k *Keyring) read(name string) (keyFile, error) {
	var f keyFile
	b, err := os.ReadFile(k.path(name))
	if errors.Is(err, os.ErrNotExist) {
		return f, fmt.Errorf("%w: %q", ErrNotFound, name)
	}
	if err != nil {
		return f, err
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return f, fmt.Errorf("identity file %s is damaged: %v", k.path(name), err)
	}
	if f.Name != name || !nostr.IsValidPublicKey(f.PubKey) || (f.NCryptSec == "") == (f.NSec == "") {
		return f, fmt.Errorf("identity file %s is damaged: inconsistent fields", k.path(name))
	}
	return f, nil
}

func (k *Keyring) write(f keyFile) error {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(k.path(f.Name), append(b, '\n'), 0o600)
}

func (k *Keyring) defaultName() string {
	b, err := os.ReadFile(filepath.Join(k.dir, "default"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// List returns every identity, oldest first.
func (k *Keyring) List() ([]Identity, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	files, err := k.files()
	if err != nil {
		return nil, err
	}
	def := k.defaultName()
	if def == "" && len(files) > 0 {
		def = files[0].Name
	}
	out := make([]Identity, 0, len(files))
	for _, f := range files {
		out = append(out, k.identity(f, def))
	}
	return out, nil
}

func (k *Keyring) identity(f keyFile, def string) Identity {
	_, unlocked := k.unlocked[f.Name]
	pk := PublicKey(f.PubKey)
	return Identity{
		Name: f.Name, PubKey: pk, NPub: pk.NPub(),
		Encrypted: f.NCryptSec != "", Unlocked: unlocked,
		Default: f.Name == def, CreatedAt: f.CreatedAt,
	}
}

// Get returns one identity; name "" means the default one.
func (k *Keyring) Get(name string) (Identity, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.get(name)
}

func (k *Keyring) get(name string) (Identity, error) {
	def := k.defaultName()
	if name == "" {
		name = def
		if name == "" {
			files, err := k.files()
			if err != nil {
				return Identity{}, err
			}
			if len(files) == 0 {
				return Identity{}, ErrNoIdentity
			}
			name, def = files[0].Name, files[0].Name
		}
	}
	f, err := k.read(name)
	if err != nil {
		return Identity{}, err
	}
	return k.identity(f, def), nil
}

// lookup finds an identity and its file; the caller holds k.mu.
func (k *Keyring) lookup(name string) (Identity, keyFile, error) {
	id, err := k.get(name)
	if err != nil {
		return id, keyFile{}, err
	}
	f, err := k.read(id.Name)
	return id, f, err
}

// SetDefault makes name the default identity.
func (k *Keyring) SetDefault(name string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, err := k.read(name); err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(k.dir, "default"), []byte(name+"\n"), 0o600)
}

// New creates an identity with a fresh key. The secret is encrypted with
// passphrase, or stored in plain text if noPassphrase is set; neither, or
// both, is refused (ErrNeedPassphrase, ErrBothPassphrases).
// The first identity becomes the default. The new identity is unlocked.
func (k *Keyring) New(name, passphrase string, noPassphrase bool) (Identity, error) {
	r := k.Rand
	if r == nil {
		r = rand.Reader
	}
	for {
		b := make([]byte, 32)
		if _, err := io.ReadFull(r, b); err != nil {
			return Identity{}, fmt.Errorf("read randomness: %w", err)
		}
		sk := hex.EncodeToString(b)
		if validSecret(sk) == nil {
			return k.add(name, sk, passphrase, noPassphrase)
		}
	}
}

// Import adds an existing key: an nsec, 64 hex characters, or an ncryptsec.
// For an ncryptsec, passphrase is the one it was encrypted with, and the
// identity keeps it. For the others, passphrase encrypts the key from now
// on, as for New.
func (k *Keyring) Import(name, secret, passphrase string, noPassphrase bool) (Identity, error) {
	secret = strings.TrimSpace(secret)
	if strings.HasPrefix(strings.ToLower(secret), "ncryptsec1") {
		sk, err := decryptNCryptSec(secret, passphrase)
		if err != nil {
			return Identity{}, err
		}
		if noPassphrase {
			return k.add(name, sk, "", true)
		}
		return k.addFile(name, sk, strings.ToLower(secret), "")
	}
	sk, err := parseSecret(secret)
	if err != nil {
		return Identity{}, fmt.Errorf("%w: %v", ErrBadSecret, err)
	}
	return k.add(name, sk, passphrase, noPassphrase)
}

func (k *Keyring) add(name, sk, passphrase string, noPassphrase bool) (Identity, error) {
	if err := checkChoice(passphrase, noPassphrase); err != nil {
		return Identity{}, err
	}
	if noPassphrase {
		nsec, err := nip19.EncodePrivateKey(sk)
		if err != nil {
			return Identity{}, err
		}
		return k.addFile(name, sk, "", nsec)
	}
	enc, err := nip49.Encrypt(sk, passphrase, k.logN(), nip49.ClientDoesNotTrackThisData)
	if err != nil {
		return Identity{}, fmt.Errorf("encrypt key: %w", err)
	}
	return k.addFile(name, sk, enc, "")
}

func (k *Keyring) addFile(name, sk, ncryptsec, nsec string) (Identity, error) {
	if err := CheckName(name); err != nil {
		return Identity{}, err
	}
	pk, err := nostr.GetPublicKey(sk)
	if err != nil {
		return Identity{}, fmt.Errorf("%w: %v", ErrBadSecret, err)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	files, err := k.files()
	if err != nil {
		return Identity{}, err
	}
	for _, f := range files {
		if f.Name == name {
			return Identity{}, fmt.Errorf("%w: %q", ErrExists, name)
		}
		if f.PubKey == pk {
			return Identity{}, fmt.Errorf("%w: this key is already here as %q", ErrExists, f.Name)
		}
	}
	f := keyFile{Version: 1, Name: name, PubKey: pk, NCryptSec: ncryptsec, NSec: nsec, CreatedAt: k.now().UTC().Truncate(time.Second)}
	if err := k.write(f); err != nil {
		return Identity{}, fmt.Errorf("save identity: %w", err)
	}
	if len(files) == 0 {
		if err := atomicfile.WriteFile(filepath.Join(k.dir, "default"), []byte(name+"\n"), 0o600); err != nil {
			return Identity{}, err
		}
	}
	k.unlocked[name] = sk
	k.version.Add(1)
	return k.get(name)
}

// checkChoice says whether a key may be stored as asked: with a
// passphrase, or in plain text when (and only when) that is the explicit
// choice.
func checkChoice(passphrase string, noPassphrase bool) error {
	switch {
	case passphrase == "" && !noPassphrase:
		return ErrNeedPassphrase
	case passphrase != "" && noPassphrase:
		return ErrBothPassphrases
	}
	return nil
}

// Unlock decrypts an identity's key into memory; name "" is the default.
func (k *Keyring) Unlock(name, passphrase string) (Identity, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	id, err := k.get(name)
	if err != nil {
		return id, err
	}
	if _, ok := k.unlocked[id.Name]; ok {
		id.Unlocked = true
		return id, nil
	}
	f, err := k.read(id.Name)
	if err != nil {
		return id, err
	}
	sk, err := decryptNCryptSec(f.NCryptSec, passphrase)
	if err != nil {
		return id, err
	}
	if pk, _ := nostr.GetPublicKey(sk); pk != f.PubKey {
		return id, fmt.Errorf("identity file %s is damaged: its key does not match its pubkey", k.path(id.Name))
	}
	k.unlocked[id.Name] = sk
	id.Unlocked = true
	return id, nil
}

// Lock forgets the decrypted keys of every identity that has a passphrase.
func (k *Keyring) Lock() {
	k.mu.Lock()
	defer k.mu.Unlock()
	files, _ := k.files()
	for _, f := range files {
		if f.NCryptSec != "" {
			delete(k.unlocked, f.Name)
		}
	}
}

// Sign signs ev with an identity (name "" is the default), setting its
// pubkey, id and signature.
func (k *Keyring) Sign(name string, ev *nostr.Event) error {
	sk, _, err := k.secret(name)
	if err != nil {
		return err
	}
	return ev.Sign(sk)
}

func (k *Keyring) secret(name string) (string, Identity, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	id, err := k.get(name)
	if err != nil {
		return "", id, err
	}
	sk, ok := k.unlocked[id.Name]
	if !ok {
		return "", id, fmt.Errorf("%w: %s", ErrLocked, id.Name)
	}
	return sk, id, nil
}

// Export returns the identity's key in its stored form: the ncryptsec when
// it has a passphrase, otherwise the nsec.
func (k *Keyring) Export(name string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	_, f, err := k.lookup(name)
	if err != nil {
		return "", err
	}
	if f.NCryptSec != "" {
		return f.NCryptSec, nil
	}
	return f.NSec, nil
}

// ExportNSec returns the key unencrypted, as an nsec. It asks for the
// passphrase even when the identity is unlocked: showing a bare key is a
// deliberate act.
func (k *Keyring) ExportNSec(name, passphrase string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	_, f, err := k.lookup(name)
	if err != nil {
		return "", err
	}
	if f.NSec != "" {
		return f.NSec, nil
	}
	sk, err := decryptNCryptSec(f.NCryptSec, passphrase)
	if err != nil {
		return "", err
	}
	return nip19.EncodePrivateKey(sk)
}

// ChangePassphrase re-encrypts an identity's key. old is needed unless the
// key has no passphrase now; noPassphrase removes encryption.
func (k *Keyring) ChangePassphrase(name, old, new string, noPassphrase bool) (Identity, error) {
	if err := checkChoice(new, noPassphrase); err != nil {
		return Identity{}, err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	id, f, err := k.lookup(name)
	if err != nil {
		return id, err
	}
	sk := ""
	if f.NSec != "" {
		if sk, err = parseSecret(f.NSec); err != nil {
			return id, err
		}
	} else if sk, err = decryptNCryptSec(f.NCryptSec, old); err != nil {
		return id, err
	}
	if noPassphrase {
		f.NCryptSec = ""
		if f.NSec, err = nip19.EncodePrivateKey(sk); err != nil {
			return id, err
		}
	} else {
		f.NSec = ""
		if f.NCryptSec, err = nip49.Encrypt(sk, new, k.logN(), nip49.ClientDoesNotTrackThisData); err != nil {
			return id, err
		}
	}
	if err := k.write(f); err != nil {
		return id, err
	}
	k.unlocked[f.Name] = sk
	return k.get(f.Name)
}

// CheckSecretFormat says whether s is a key Import accepts (an nsec, 64 hex
// characters or a well-formed ncryptsec), without decrypting anything.
func CheckSecretFormat(s string) error {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(strings.ToLower(s), "ncryptsec1") {
		_, err := checkNCryptSec(s)
		return err
	}
	if _, err := parseSecret(s); err != nil {
		return fmt.Errorf("%w: %v", ErrBadSecret, err)
	}
	return nil
}

// checkNCryptSec checks an ncryptsec's structure, since NIP-49 decryption
// trusts its input (a short one panics, a huge log_n exhausts memory).
func checkNCryptSec(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if len(s) > 500 {
		return "", fmt.Errorf("%w: ncryptsec is too long", ErrBadSecret)
	}
	prefix, bits5, err := bech32.DecodeNoLimit(s)
	if err != nil || prefix != "ncryptsec" {
		return "", fmt.Errorf("%w: not a valid ncryptsec (%v)", ErrBadSecret, err)
	}
	data, err := bech32.ConvertBits(bits5, 5, 8, false)
	if err != nil || len(data) != 91 {
		return "", fmt.Errorf("%w: ncryptsec has the wrong length", ErrBadSecret)
	}
	if data[0] != 0x02 {
		return "", fmt.Errorf("%w: ncryptsec version %d is not supported (only 2)", ErrBadSecret, data[0])
	}
	if data[1] > maxLogN {
		return "", fmt.Errorf("%w: ncryptsec asks for scrypt cost 2^%d, more than the 2^%d this device allows", ErrBadSecret, data[1], maxLogN)
	}
	return s, nil
}

func decryptNCryptSec(s, passphrase string) (string, error) {
	s, err := checkNCryptSec(s)
	if err != nil {
		return "", err
	}
	sk, err := nip49.Decrypt(s, passphrase)
	if err != nil {
		return "", ErrBadPassphrase
	}
	if err := validSecret(sk); err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadSecret, err)
	}
	return sk, nil
}

// ConversationKey is the NIP-44 conversation key of an identity (name ""
// is the default) and someone's public key. The secret key stays here.
func (k *Keyring) ConversationKey(name, peer string) ([32]byte, error) {
	sk, _, err := k.secret(name)
	if err != nil {
		return [32]byte{}, err
	}
	return convkey.Derive(sk, peer)
}

// VaultKey is the key of an identity's private vault, derived from its
// secret key (so an identity with a passphrase must be unlocked).
func (k *Keyring) VaultKey(name string) ([32]byte, error) {
	var out [32]byte
	sk, _, err := k.secret(name)
	if err != nil {
		return out, err
	}
	b, _ := hex.DecodeString(sk)
	r := hkdf.New(sha256.New, b, nil, []byte("caravan vault key v1"))
	_, err = io.ReadFull(r, out[:])
	return out, err
}

// Signer is an identity bound to the keyring: it signs and derives
// conversation keys while the identity is unlocked (package msg's
// Identity).
type Signer struct {
	k    *Keyring
	name string
	pub  string
}

// Signer returns the identity name ("" is the default) as an identity
// that package msg can wrap and unwrap with (its Identity).
func (k *Keyring) Signer(name string) (*Signer, error) {
	id, err := k.Get(name)
	if err != nil {
		return nil, err
	}
	return &Signer{k: k, name: id.Name, pub: id.PubKey.Hex()}, nil
}

func (s *Signer) PubKey() string             { return s.pub }
func (s *Signer) Name() string               { return s.name }
func (s *Signer) Sign(ev *nostr.Event) error { return s.k.Sign(s.name, ev) }
func (s *Signer) ConversationKey(peer string) ([32]byte, error) {
	return s.k.ConversationKey(s.name, peer)
}

// BundleECDH is the x-coordinate of an identity's secret key times the
// point encoded (ElligatorSwift, BIP-324) in ell: how a bundle made for the
// identity is opened (package bundle). The secret key stays here.
func (k *Keyring) BundleECDH(name string, ell [64]byte) ([32]byte, error) {
	sk, _, err := k.secret(name)
	if err != nil {
		return [32]byte{}, err
	}
	b, err := hex.DecodeString(sk)
	if err != nil {
		return [32]byte{}, err
	}
	priv, _ := btcec.PrivKeyFromBytes(b)
	return ellswift.EllswiftECDHXOnly(ell, priv)
}

// EraseAll destroys every identity: each key file is overwritten with
// zeros, synced and removed, and decrypted keys are forgotten. What was
// encrypted with the keys (private messages, the vault) can no longer be
// read. It returns how many identities were erased.
func (k *Keyring) EraseAll() (int, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	clear(k.unlocked)
	entries, err := os.ReadDir(k.dir)
	if err != nil {
		return 0, fmt.Errorf("read keyring: %w", err)
	}
	n := 0
	var errs []error
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		p := filepath.Join(k.dir, e.Name())
		if strings.HasSuffix(e.Name(), ".json") {
			n++
		}
		if err := overwrite(p); err != nil {
			errs = append(errs, err)
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	k.version.Add(1)
	return n, errors.Join(errs...)
}

// overwrite fills a file with zeros and syncs it, so the key is not left
// in the file's old blocks for a quick look at the disk to find. (Flash
// storage may keep old copies; full-disk encryption is the real answer.)
func overwrite(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if _, err := f.Write(make([]byte, st.Size())); err != nil {
		return err
	}
	return f.Sync()
}

// CheckPassphrase decrypts an identity's key with passphrase, whether or
// not it is unlocked already, and reports whether that worked. An identity
// stored without a passphrase fails with ErrNeedPassphrase: nothing can be
// proved with it.
func (k *Keyring) CheckPassphrase(name, passphrase string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	id, err := k.get(name)
	if err != nil {
		return err
	}
	f, err := k.read(id.Name)
	if err != nil {
		return err
	}
	if f.NCryptSec == "" {
		return fmt.Errorf("%w: identity %q is stored without one", ErrNeedPassphrase, id.Name)
	}
	_, err = decryptNCryptSec(f.NCryptSec, passphrase)
	return err
}
