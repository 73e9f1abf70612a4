// Package browsertest starts the real Chromium that browser tests drive.
//
// scripts/test installs Chromium and sets CARAVAN_REQUIRE_BROWSER=1, so
// that in CI a missing browser fails the test; a plain `go test` run
// without it skips with a message saying how to get it.
package browsertest

import (
	"os"
	"testing"

	"github.com/chromedp/chromedp"
)

// Path is where Debian's chromium package puts the browser.
const Path = "/usr/bin/chromium"

// Require skips the test when Chromium is missing, or fails it when
// CARAVAN_REQUIRE_BROWSER=1.
func Require(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(Path); err != nil {
		if os.Getenv("CARAVAN_REQUIRE_BROWSER") == "1" {
			t.Fatalf("%s is missing: install it with apt-get install -y chromium", Path)
		}
		t.Skipf("%s is missing, so this browser test does not run (apt-get install -y chromium; CARAVAN_REQUIRE_BROWSER=1 makes this an error)", Path)
	}
}

// Options start a headless Chromium with a fresh profile in a temporary
// directory, with nothing of its own talking to the network and no name
// resolving but loopback's: even a request that slipped past a test's
// watch could not leave the machine. extra come after, and may add to
// or override these.
func Options(t testing.TB, extra ...chromedp.ExecAllocatorOption) []chromedp.ExecAllocatorOption {
	return append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(Path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter"),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"),
	}, extra...)
}
