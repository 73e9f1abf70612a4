package bundle

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ellswift"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/scrypt"
	"golang.org/x/text/unicode/norm"
)

// Version is the format this package writes and reads.
const Version = 1

const (
	slotSize  = 128
	slotCount = 8
	slotsSize = slotSize * slotCount
	keySize   = 32
	sealed    = 1 + keySize + chacha20poly1305.Overhead // version || K, sealed
	saltSize  = 16
	ellSize   = 64
)

// scryptLogN is the passphrase work factor (2^18, as age uses). Tests
// lower it; it is not written in the file, so both sides must agree.
var scryptLogN = 18

// MaxRecipients is how many ways to open one bundle can have.
const MaxRecipients = slotCount

// Lock says who can open a bundle: a passphrase, recipients' public keys
// (hex, x-only, as in an npub), or both.
type Lock struct {
	Passphrase string
	To         []string
}

// Identity is a secret key that may open a bundle: PubKey is its x-only
// public key (hex); ECDH returns the x-coordinate of its secret times the
// ElligatorSwift-encoded point.
type Identity interface {
	PubKey() string
	ECDH(ell [64]byte) ([32]byte, error)
}

// Keys are what a reader tries.
type Keys struct {
	Passphrase string
	Identities []Identity
}

// ErrNoKey means no slot opened: a wrong passphrase or key, or not a bundle
// at all (the two cannot be told apart).
var ErrNoKey = errors.New("cannot be opened with the given passphrase or keys")

// VersionError is a bundle of a format this package does not read.
type VersionError struct{ Version int }

func (e *VersionError) Error() string {
	return fmt.Sprintf("it is a bundle of format version %d, and this Caravan reads version %d", e.Version, Version)
}

func aead(key []byte) cipherAEAD {
	a, err := chacha20poly1305.New(key)
	if err != nil {
		panic(err) // keys are always 32 bytes here
	}
	return a
}

type cipherAEAD interface {
	Seal(dst, nonce, plaintext, additionalData []byte) []byte
	Open(dst, nonce, ciphertext, additionalData []byte) ([]byte, error)
}

var zeroNonce = make([]byte, chacha20poly1305.NonceSize)

func derive(secret, salt []byte, info string) []byte {
	k, err := hkdf.Key(sha256.New, secret, salt, info, keySize)
	if err != nil {
		panic(err)
	}
	return k
}

func passphraseKey(pass string, salt []byte) ([]byte, error) {
	return scrypt.Key([]byte(norm.NFKC.String(pass)), salt, 1<<scryptLogN, 8, 1, keySize)
}

// makeSlots fills the slot area for lock, sealing key.
func makeSlots(lock Lock, key []byte, version byte) ([]byte, error) {
	n := len(lock.To)
	if lock.Passphrase != "" {
		n++
	}
	if n == 0 {
		return nil, errors.New("a bundle needs a passphrase or a recipient")
	}
	if n > slotCount {
		return nil, fmt.Errorf("a bundle can be opened by at most %d passphrases and recipients together, not %d", slotCount, n)
	}
	slots := make([]byte, slotsSize)
	if _, err := rand.Read(slots); err != nil {
		return nil, err
	}
	plain := append([]byte{version}, key...)
	i := 0
	if lock.Passphrase != "" {
		s := slots[:slotSize]
		k, err := passphraseKey(lock.Passphrase, s[:saltSize])
		if err != nil {
			return nil, err
		}
		aead(k).Seal(s[saltSize:saltSize], zeroNonce, plain, nil)
		i++
	}
	for _, to := range lock.To {
		pub, err := parsePub(to)
		if err != nil {
			return nil, err
		}
		priv, ell, err := ellswift.EllswiftCreate()
		if err != nil {
			return nil, err
		}
		shared := btcec.GenerateSharedSecret(priv, pub)
		s := slots[i*slotSize : (i+1)*slotSize]
		copy(s, ell[:])
		k := recipientKey(shared, ell, schnorr.SerializePubKey(pub))
		aead(k).Seal(s[ellSize:ellSize], zeroNonce, plain, nil)
		i++
	}
	return slots, nil
}

func recipientKey(shared []byte, ell [64]byte, pub []byte) []byte {
	return derive(shared, append(ell[:], pub...), "caravan bundle v1 recipient")
}

func parsePub(h string) (*btcec.PublicKey, error) {
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != 32 {
		return nil, fmt.Errorf("recipient %q is not a public key (64 hex digits)", h)
	}
	pub, err := schnorr.ParsePubKey(b)
	if err != nil {
		return nil, fmt.Errorf("recipient %s is not a valid public key: %v", h, err)
	}
	return pub, nil
}

// openSlots finds the bundle key in slots. It returns the version byte
// sealed with it.
func openSlots(slots []byte, keys Keys, cache map[string][]byte) (key []byte, version byte, err error) {
	try := func(k, ct []byte) bool {
		plain, err := aead(k).Open(nil, zeroNonce, ct, nil)
		if err != nil || len(plain) != 1+keySize {
			return false
		}
		version, key = plain[0], plain[1:]
		return true
	}
	if keys.Passphrase != "" {
		s := slots[:slotSize]
		ck := string(s[:saltSize]) + "\x00" + keys.Passphrase
		k, ok := cache[ck]
		if !ok {
			if k, err = passphraseKey(keys.Passphrase, s[:saltSize]); err != nil {
				return nil, 0, err
			}
			cache[ck] = k
		}
		if try(k, s[saltSize:saltSize+sealed]) {
			return key, version, nil
		}
	}
	for i := range slotCount {
		s := slots[i*slotSize : (i+1)*slotSize]
		var ell [64]byte
		copy(ell[:], s)
		for _, id := range keys.Identities {
			shared, err := id.ECDH(ell)
			if err != nil {
				continue
			}
			pub, err := hex.DecodeString(id.PubKey())
			if err != nil {
				continue
			}
			if try(recipientKey(shared[:], ell, pub), s[ellSize:ellSize+sealed]) {
				return key, version, nil
			}
		}
	}
	return nil, 0, ErrNoKey
}

// SecretKey is an Identity from a hex secret key (for tests and tools; the
// node's identities stay in its keyring).
type SecretKey struct {
	priv *btcec.PrivateKey
}

// NewSecretKey parses a 64-hex-digit secret key.
func NewSecretKey(sk string) (*SecretKey, error) {
	b, err := hex.DecodeString(sk)
	if err != nil || len(b) != 32 {
		return nil, errors.New("a secret key is 64 hex digits")
	}
	priv, _ := btcec.PrivKeyFromBytes(b)
	return &SecretKey{priv: priv}, nil
}

// ECDH implements Identity.
func (k *SecretKey) ECDH(ell [64]byte) ([32]byte, error) {
	return ellswift.EllswiftECDHXOnly(ell, k.priv)
}

// PubKey is the x-only public key, hex.
func (k *SecretKey) PubKey() string {
	return hex.EncodeToString(schnorr.SerializePubKey(k.priv.PubKey()))
}
