//go:build pprof

package main

// Built with -tags pprof, and with CARAVAN_PPROF=DIR in the environment,
// caravan serves net/http/pprof on a loopback port of its own and writes
// the address to DIR/PID.addr: for profiling a node under load
// (docs/load.md). Release builds have none of this.

import (
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof/ on http.DefaultServeMux
	"os"
	"path/filepath"
)

func init() {
	dir := os.Getenv("CARAVAN_PPROF")
	if dir == "" {
		return
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "pprof:", err)
		return
	}
	addr := "http://" + ln.Addr().String() + "/debug/pprof/"
	os.WriteFile(filepath.Join(dir, fmt.Sprint(os.Getpid(), ".addr")), []byte(addr), 0o600)
	go http.Serve(ln, nil)
}
