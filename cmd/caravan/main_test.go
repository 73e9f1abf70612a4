package main

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	qrcode "github.com/skip2/go-qrcode"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"caravan": func() { os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs the CLI end to end, as separate processes, from the
// scripts in testdata/script.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("CARAVAN_DATA", filepath.Join(env.WorkDir, "data"))
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// waitfile FILE: wait up to 20s for FILE to exist.
			"waitfile": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 1 {
					ts.Fatalf("usage: waitfile FILE")
				}
				path := ts.MkAbs(args[0])
				for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
					if _, err := os.Stat(path); err == nil {
						return
					}
				}
				ts.Fatalf("%s did not appear", args[0])
			},
			// waitgone FILE: wait up to 20s for FILE to disappear.
			"waitgone": func(ts *testscript.TestScript, neg bool, args []string) {
				path := ts.MkAbs(args[0])
				for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
					if _, err := os.Stat(path); os.IsNotExist(err) {
						return
					}
				}
				ts.Fatalf("%s is still there", args[0])
			},
			// qrpng FILE TEXT: write TEXT as a QR code picture.
			"qrpng": func(ts *testscript.TestScript, neg bool, args []string) {
				if err := qrcode.WriteFile(args[1], qrcode.Medium, 256, ts.MkAbs(args[0])); err != nil {
					ts.Fatalf("%v", err)
				}
			},
			// grab VAR REGEXP: set VAR to the first group REGEXP captures
			// in the last command's stdout.
			"grab": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 2 {
					ts.Fatalf("usage: grab VAR REGEXP")
				}
				m := regexp.MustCompile(args[1]).FindStringSubmatch(ts.ReadFile("stdout"))
				if len(m) < 2 {
					ts.Fatalf("no match for %s in stdout", args[1])
				}
				ts.Setenv(args[0], m[1])
			},
		},
	})
}
