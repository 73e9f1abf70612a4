package main

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
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
			// waitfile FILE: wait for FILE to exist. The two minutes only
			// guard against a hang: a first run derives a key with scrypt,
			// which on a machine busy with other jobs took over 20 s.
			"waitfile": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 1 {
					ts.Fatalf("usage: waitfile FILE")
				}
				path := ts.MkAbs(args[0])
				for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
					if _, err := os.Stat(path); err == nil {
						return
					}
				}
				ts.Fatalf("%s did not appear", args[0])
			},
			// waitgone FILE: wait (up to two minutes) for FILE to disappear.
			"waitgone": func(ts *testscript.TestScript, neg bool, args []string) {
				path := ts.MkAbs(args[0])
				for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
					if _, err := os.Stat(path); os.IsNotExist(err) {
						return
					}
				}
				ts.Fatalf("%s is still there", args[0])
			},
			// qrpng FILE TEXT: write TEXT as a QR code picture.
			"qrpng": func(ts *testscript.TestScript, neg bool, args []string) {
				// 6 pixels per module, whatever the length: a fixed 256 px
				// picture of a long text falls under the 4 px per module
				// the reader needs.
				if err := qrcode.WriteFile(args[1], qrcode.Medium, -6, ts.MkAbs(args[0])); err != nil {
					ts.Fatalf("%v", err)
				}
			},
			// gpsphoto FILE: write a small JPEG whose EXIF holds a GPS
			// position.
			"gpsphoto": func(ts *testscript.TestScript, neg bool, args []string) {
				path := ts.MkAbs(args[0])
				os.MkdirAll(filepath.Dir(path), 0o755)
				if err := os.WriteFile(path, gpsJPEG(), 0o644); err != nil {
					ts.Fatalf("%v", err)
				}
			},
			// randfile FILE SIZE: write SIZE bytes that do not compress.
			"randfile": func(ts *testscript.TestScript, neg bool, args []string) {
				n, err := strconv.Atoi(args[1])
				if err != nil {
					ts.Fatalf("randfile: %v", err)
				}
				b := make([]byte, n)
				rand.Read(b)
				if err := os.WriteFile(ts.MkAbs(args[0]), b, 0o644); err != nil {
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

// gpsJPEG is a 64x48 JPEG with an EXIF block holding a camera model and a
// GPS position (latitude 43.2 N), as a phone writes one.
func gpsJPEG() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	var buf bytes.Buffer
	jpeg.Encode(&buf, img, nil)
	jpg := buf.Bytes()

	// TIFF, little-endian: IFD0 with Model and a GPS IFD pointer; the GPS
	// IFD with GPSLatitudeRef "N" and GPSLatitude 43/1 12/1 0/1.
	le := binary.LittleEndian
	var t []byte
	u16 := func(v uint16) { t = le.AppendUint16(t, v) }
	u32 := func(v uint32) { t = le.AppendUint32(t, v) }
	t = append(t, 'I', 'I')
	u16(42)
	u32(8)
	// IFD0 at 8: 2 entries (2+24+4 = 30 bytes) -> data at 38.
	u16(2)
	u16(0x0110) // Model
	u16(2)
	u32(8)
	u32(38)
	u16(0x8825) // GPSInfo
	u16(4)
	u32(1)
	u32(46)
	u32(0)
	t = append(t, "Phone X\x00"...) // 38..46
	// GPS IFD at 46: 2 entries -> data at 46+30 = 76.
	u16(2)
	u16(1) // GPSLatitudeRef
	u16(2)
	u32(2)
	t = append(t, 'N', 0, 0, 0)
	u16(2) // GPSLatitude
	u16(5)
	u32(3)
	u32(76)
	u32(0)
	for _, v := range []uint32{43, 1, 12, 1, 0, 1} {
		u32(v)
	}
	app1 := append([]byte("Exif\x00\x00"), t...)
	seg := []byte{0xFF, 0xE1, byte((len(app1) + 2) >> 8), byte(len(app1) + 2)}
	out := append([]byte{}, jpg[:2]...)
	out = append(out, seg...)
	out = append(out, app1...)
	return append(out, jpg[2:]...)
}
