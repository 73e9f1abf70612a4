package msg

import (
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
)

// SafetyNumber is what two people compare, aloud or side by side, to be
// sure each holds the other's real key: 60 digits in twelve groups of
// five, the same on both sides. Like Signal's, each half comes from one
// key, hashed 5200 times with SHA-512 (so a forger cannot search for a key
// with a matching number cheaply); the halves are ordered by key, so both
// people see the same number.
func SafetyNumber(a, b string) (string, error) {
	ha, err := safetyHalf(a)
	if err != nil {
		return "", err
	}
	hb, err := safetyHalf(b)
	if err != nil {
		return "", err
	}
	if a > b {
		ha, hb = hb, ha
	}
	digits := ha + hb
	var groups []string
	for i := 0; i < len(digits); i += 5 {
		groups = append(groups, digits[i:i+5])
	}
	return strings.Join(groups, " "), nil
}

func safetyHalf(pub string) (string, error) {
	key, err := hex.DecodeString(pub)
	if err != nil || len(key) != 32 {
		return "", fmt.Errorf("%q is not a public key", pub)
	}
	h := append([]byte("caravan safety number v1\x00"), key...)
	for i := 0; i < 5200; i++ {
		s := sha512.Sum512(append(h, key...))
		h = s[:]
	}
	// Six chunks of five bytes, each as five digits (mod 100000).
	var out strings.Builder
	for i := 0; i < 6; i++ {
		var buf [8]byte
		copy(buf[3:], h[i*5:i*5+5])
		fmt.Fprintf(&out, "%05d", binary.BigEndian.Uint64(buf[:])%100000)
	}
	return out.String(), nil
}
