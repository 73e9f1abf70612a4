package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/caravan-mesh/caravan/internal/smalldisk"
	"github.com/caravan-mesh/caravan/localapi"
	"github.com/coder/websocket"
)

// publishOne sends ev over ws and returns the node's OK answer.
func publishOne(t *testing.T, ctx context.Context, ws *websocket.Conn, ev any) (bool, string) {
	t.Helper()
	b, _ := json.Marshal([]any{"EVENT", ev})
	if err := ws.Write(ctx, websocket.MessageText, b); err != nil {
		t.Fatalf("publish: %v", err)
	}
	for {
		_, b, err := ws.Read(ctx)
		if err != nil {
			t.Fatalf("waiting for OK: %v", err)
		}
		var m []json.RawMessage
		if json.Unmarshal(b, &m) != nil || len(m) != 4 || string(m[0]) != `"OK"` {
			continue
		}
		var ok bool
		var msg string
		json.Unmarshal(m[2], &ok)
		json.Unmarshal(m[3], &msg)
		return ok, msg
	}
}

// TestDiskFull runs a node whose data directory is on a small disk and
// publishes the owner's notes until the disk is full (strangers' would
// only cycle through the store's quota): the node answers OK false saying
// so, Blossom uploads and `caravan post` say so too, and nothing crashes
// or is damaged; once space returns the same node takes events again
// without a restart, and everything acknowledged is there.
func TestDiskFull(t *testing.T) {
	bin := caravanBinary(t)
	data := smalldisk.Mount(t, "2m")
	me := evtest.NewKey("aigerim, short of space")
	withIdentity(t, bin, data, "aigerim", me)
	node := startServe(t, bin, data)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, node.rt.Relay, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	k := me
	full := "the disk holding " + data + " is full"
	var acked []string
	for i := 0; ; i++ {
		ev := k.Event(1, time.Now().Unix(), fmt.Sprintf("%d %s", i, strings.Repeat("words ", 300)))
		ok, msg := publishOne(t, ctx, ws, ev)
		if ok {
			acked = append(acked, ev.ID)
			continue
		}
		if want := "error: " + full + "; free space and retry"; msg != want {
			t.Fatalf("event %d refused with %q, want %q", i, msg, want)
		}
		break
	}
	if len(acked) == 0 {
		t.Fatal("the disk was full before any event; the test proved nothing")
	}
	// Still full: every way in says so, and the node lives on.
	if ok, msg := publishOne(t, ctx, ws, k.Event(1, time.Now().Unix(), "again")); ok || !strings.Contains(msg, full) {
		t.Fatalf("publishing again on the full disk: %v %q", ok, msg)
	}
	photo := bytes.Repeat([]byte("not much of a photo "), 20000)
	if code, reason, err := node.upload(ctx, me, photo); err != nil || code != http.StatusInsufficientStorage || reason != full+"; free space and retry" {
		t.Fatalf("upload on a full disk: %d %q %v", code, reason, err)
	}
	out, err := exec.Command(bin, "--data", data, "post", "Is anyone there?").CombinedOutput()
	if want := "caravan: error: " + full + "\ncaravan: hint: " + localapi.DiskFullHint + "\n"; err == nil || string(out) != want {
		t.Fatalf("caravan post on a full disk: %v\n%s\nwant:\n%s", err, out, want)
	}

	smalldisk.Resize(t, data, "64m")
	ev := k.Event(1, time.Now().Unix(), "space again")
	if ok, msg := publishOne(t, ctx, ws, ev); !ok {
		t.Fatalf("once space returned: %s", msg)
	}
	acked = append(acked, ev.ID)
	if code, reason, err := node.upload(ctx, me, photo); err != nil || code != http.StatusCreated {
		t.Fatalf("upload once space returned: %d %q %v", code, reason, err)
	}
	caravan(t, bin, data, "post", "Space again.")
	node.stop(t)
	if have := holding(t, data, 0, acked); len(have) != len(acked) {
		t.Fatalf("%d of %d acknowledged events are there", len(have), len(acked))
	}
	t.Logf("%d events fitted on the 2 MB disk; all there after space returned", len(acked)-1)

}

// TestStartOnFullDisk starts a node on a disk that is full, after a clean
// stop and after a crash (the store's log is still there, so the store
// opens and the first file to fail is api.json): either way it stops at
// once, naming the disk and what to do, and starts again once there is
// space.
func TestStartOnFullDisk(t *testing.T) {
	bin := caravanBinary(t)
	for _, crash := range []bool{false, true} {
		t.Run(map[bool]string{false: "after a clean stop", true: "after a crash"}[crash], func(t *testing.T) {
			data := filepath.Join(smalldisk.Mount(t, "4m"), "data")
			withIdentity(t, bin, data, "aigerim", evtest.NewKey("aigerim, short of space"))
			s := startServe(t, bin, data)
			caravan(t, bin, data, "post", "Before the disk filled.")
			if crash {
				s.kill()
			} else {
				s.stop(t)
			}
			filler := filepath.Join(filepath.Dir(data), "filler")
			exec.Command("dd", "if=/dev/zero", "of="+filler, "bs=64k").Run() // until the disk is full
			out, err := exec.Command(bin, "serve", "--data", data, "--listen", "127.0.0.1:0", "--api", "127.0.0.1:0", "--no-lan").CombinedOutput()
			want := "caravan: error: the disk holding " + data + " is full\ncaravan: hint: " + startHint + "\n"
			if err == nil || string(out) != want {
				t.Fatalf("serve on a full disk: %v\n%s\nwant:\n%s", err, out, want)
			}
			if err := os.Remove(filler); err != nil {
				t.Fatal(err)
			}
			startServe(t, bin, data).stop(t)
			soundStore(t, data, 1).Close()
		})
	}
}
