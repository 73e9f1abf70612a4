package sim

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"
)

// FuzzParse: any input is a scenario or a clear error, never a panic; a
// scenario that parses writes back to JSON that parses to the same.
func FuzzParse(f *testing.F) {
	for _, p := range []string{"testdata/tiny.json", "scenarios/almaty-2022.json", "scenarios/helsinki-one.json"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"duration": "1h", "people": -3}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Parse(b, "fuzz.json")
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an empty error")
			}
			return
		}
		out, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Parse(out, "again.json")
		if err != nil {
			t.Fatalf("%s written back does not parse: %v", out, err)
		}
		if !reflect.DeepEqual(s, again) {
			t.Fatalf("round trip changed the scenario:\n%+v\n%+v", s, again)
		}
	})
}
