package carry

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/caravan-mesh/caravan/link"
)

// Hello is the first message on a byte-stream link, where neither end is
// the obvious client. Each side sends a random nonce; the larger one
// initiates the session and the other serves it as a relay would.
//
//	["CARAVAN-HELLO", {"version": 1, "nonce": "<32 hex digits>"}]
//
// Lines before the other side's hello that are not one (a login banner, a
// shell's greeting) are skipped, up to a limit.
const helloLabel = "CARAVAN-HELLO"

type hello struct {
	Version int    `json:"version"`
	Nonce   string `json:"nonce"`
}

// Handshake exchanges hellos and says whether this side initiates.
func Handshake(ctx context.Context, conn link.Conn) (initiator bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	for attempt := 0; attempt < 3; attempt++ {
		// Always crypto/rand, not the node's Options.Rand: the nonce only
		// picks who initiates, and the simulator, which needs that fixed,
		// runs carry.Run and the relay endpoint without a handshake.
		b := make([]byte, 16)
		rand.Read(b)
		mine := hex.EncodeToString(b)
		msg, _ := json.Marshal([]any{helloLabel, hello{Version: 1, Nonce: mine}})
		// Write while reading: on an unbuffered pipe both ends' hellos
		// would otherwise wait for each other.
		werr := make(chan error, 1)
		go func() { werr <- conn.Write(ctx, msg) }()
		theirs, err := readHello(ctx, conn)
		if err != nil {
			return false, err
		}
		if err := <-werr; err != nil {
			return false, fmt.Errorf("send hello: %w", err)
		}
		if theirs.Nonce != mine {
			return mine > theirs.Nonce, nil
		}
	}
	return false, fmt.Errorf("%w: it repeats our hello", ErrPeer)
}

func readHello(ctx context.Context, conn link.Conn) (hello, error) {
	for skipped := 0; skipped < 100; skipped++ {
		b, err := conn.Read(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return hello{}, fmt.Errorf("no hello from the other end within a minute; is it running 'caravan sync --stdio'?")
			}
			return hello{}, fmt.Errorf("waiting for the other end's hello: %w", err)
		}
		var parts []json.RawMessage
		if json.Unmarshal(b, &parts) != nil || len(parts) != 2 || str(parts, 0) != helloLabel {
			continue
		}
		var h hello
		if json.Unmarshal(parts[1], &h) != nil || len(h.Nonce) != 32 {
			return hello{}, fmt.Errorf("%w: malformed hello", ErrPeer)
		}
		if h.Version != 1 {
			return hello{}, fmt.Errorf("the other end speaks Caravan link version %d; this one speaks 1", h.Version)
		}
		return h, nil
	}
	return hello{}, fmt.Errorf("the other end sent 100 lines without a hello; is it running 'caravan sync --stdio'?")
}
