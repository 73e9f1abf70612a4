package browsertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Problem describes ev if it is one of a page's own errors: console.error
// or console.assert (and console.warn if warnings), an uncaught exception,
// or an error in the browser's log. It returns "" for any other event.
func Problem(ev any, warnings bool) string {
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert ||
			warnings && ev.Type == runtime.ConsoleAPICalledTypeWarning {
			var parts []string
			for _, a := range ev.Args {
				if a.Value != nil {
					parts = append(parts, string(a.Value))
				} else {
					parts = append(parts, a.Description)
				}
			}
			return fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(parts, " "))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			text += " " + d.Exception.Description
		}
		return fmt.Sprintf("uncaught exception at %s:%d: %s", d.URL, d.LineNumber+1, text)
	case *cdplog.EventEntryAdded:
		if ev.Entry.Level == cdplog.EntryLevelError {
			return fmt.Sprintf("browser log (%s): %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL)
		}
	}
	return ""
}

// WaitJS waits, for at most timeout, until the JavaScript expression
// cond is truthy in the page of ctx, polling again in the new page when
// a navigation replaces the one it polled in.
func WaitJS(ctx context.Context, cond string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		_, err := chromedp.Run(ctx, chromedp.Poll[json.RawMessage](cond, chromedp.WithPollingTimeout(timeout)))
		if err == nil {
			return nil
		}
		if ctx.Err() == nil && (strings.Contains(err.Error(), "context was destroyed") || strings.Contains(err.Error(), "Cannot find context")) {
			continue
		}
		if errors.Is(err, chromedp.ErrPollingTimeout) || ctx.Err() != nil {
			return fmt.Errorf("waited %v for %s", timeout, cond)
		}
		return fmt.Errorf("wait for %s: %w", cond, err)
	}
}

// ShotDir is where a test's screenshots go: $CARAVAN_ARTIFACTS, else
// artifacts/screenshots at the repository's root, then prefix and the
// test's name (lower case, without "TestBrowser").
func ShotDir(t testing.TB, prefix string) string {
	dir := os.Getenv("CARAVAN_ARTIFACTS")
	if dir == "" {
		root, err := filepath.Abs(".")
		if err != nil {
			t.Fatal(err)
		}
		for d := root; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				root = d
				break
			}
			if filepath.Dir(d) == d {
				break
			}
		}
		dir = filepath.Join(root, "artifacts", "screenshots")
	}
	name := strings.TrimPrefix(t.Name(), "TestBrowser")
	name = regexp.MustCompile(`[^A-Za-z0-9_-]+`).ReplaceAllString(name, "-")
	return filepath.Join(dir, prefix+strings.ToLower(name))
}

// Screenshots are numbered in the order a test takes them, across its
// browsers.
var (
	shotsMu    sync.Mutex
	shotsTaken = map[testing.TB]int{}
)

// Screenshot saves a full-page PNG of the page of ctx as NN-name.png in
// dir, NN counting t's screenshots; t's first one clears what an earlier
// run left in dir. It captures from the top (a full-page capture of a
// scrolled page draws a sticky header in the middle), after two animation
// frames: the layout asked for is painted.
func Screenshot(ctx context.Context, t testing.TB, dir, name string) error {
	t.Helper()
	err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0), new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))`, chromedp.EvalAwaitPromise))
	if err != nil {
		return fmt.Errorf("screenshot %s: %w", name, err)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return fmt.Errorf("screenshot %s: %w", name, err)
	}
	shotsMu.Lock()
	if shotsTaken[t] == 0 {
		os.RemoveAll(dir)
	}
	shotsTaken[t]++
	file := filepath.Join(dir, fmt.Sprintf("%02d-%s.png", shotsTaken[t], name))
	shotsMu.Unlock()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(file, png, 0o644); err != nil {
		return err
	}
	t.Logf("screenshot %s", file)
	return nil
}
