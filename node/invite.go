package node

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"

	"github.com/caravan-mesh/caravan/internal/atomicfile"
)

// An invitation code is read off a poster and typed on a phone, so it is
// short and made of characters nobody mistakes for others on paper:
// capital letters and digits without 0 O, 1 I L. Eight of these 31 are
// about 40 bits, beyond guessing by anyone the relay lets try.
const (
	inviteAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
	inviteLen      = 8
)

// EnsureInvite returns the invitation code new guests must present
// (Config.Guests.Invite). If there is none it makes one, saves it in
// config.json (where the rest of the file stays as it was) and uses it
// from now on; made says so. `caravan serve --community --invite` calls
// it before serving, so the relay endpoint asks for the code from its
// first connection.
func (n *Node) EnsureInvite() (code string, made bool, err error) {
	n.settingsMu.Lock()
	defer n.settingsMu.Unlock()
	n.mu.RLock()
	code = n.Config.Guests.Invite
	n.mu.RUnlock()
	if code != "" {
		return code, false, nil
	}
	file, err := LoadConfig(n.Dir)
	if err != nil {
		return "", false, err
	}
	code = file.Guests.Invite
	if code == "" {
		if code, err = newInvite(n.rand); err != nil {
			return "", false, err
		}
		file.Guests.Invite = code
		b, err := json.MarshalIndent(file, "", "  ")
		if err != nil {
			return "", false, err
		}
		if err := atomicfile.WriteFile(filepath.Join(n.Dir, ConfigFile), append(b, '\n'), 0o600); err != nil {
			return "", false, n.diskFull(fmt.Errorf("save %s: %w", ConfigFile, err))
		}
		made = true
	}
	n.mu.Lock()
	n.Config.Guests.Invite = code
	n.mu.Unlock()
	return code, made, nil
}

// newInvite draws an invitation code from r, each character uniformly
// from inviteAlphabet.
func newInvite(r io.Reader) (string, error) {
	const limit = 256 - 256%len(inviteAlphabet) // past it, a byte would favour the first characters
	out := make([]byte, 0, inviteLen)
	buf := make([]byte, 2*inviteLen)
	for len(out) < inviteLen {
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", fmt.Errorf("make an invitation code: %w", err)
		}
		for _, b := range buf {
			if int(b) < limit && len(out) < inviteLen {
				out = append(out, inviteAlphabet[int(b)%len(inviteAlphabet)])
			}
		}
	}
	return string(out), nil
}
