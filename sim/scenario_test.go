package sim

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestShippedScenariosLoad(t *testing.T) {
	names := Shipped()
	if strings.Join(names, ",") != "almaty-2022,helsinki-one" {
		t.Fatalf("shipped: %v", names)
	}
	for _, n := range names {
		s, err := Load(n)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if s.Name != n {
			t.Errorf("%s is named %q inside", n, s.Name)
		}
	}
	a, _ := Load("almaty-2022")
	if a.People != 10_000 || a.Internet.Bridges == 0 || a.Traffic.Reports == 0 || a.Traffic.PhotoBytes.Min == 0 {
		t.Errorf("almaty-2022 is not the city the issue asks for: %+v", a)
	}
	h, _ := Load("helsinki-one")
	if n := h.People + h.Carriers.Count + h.Fixed.Count; n != 126 || h.Radio.Range != 10 || h.Radio.Bandwidth != 250_000 ||
		h.Buffer != 5_000_000 || h.TTL.D().Minutes() != 300 || h.Duration.D().Hours() != 12 {
		t.Errorf("helsinki-one is not ONE's default scenario: %+v", h)
	}
}

func TestParseErrors(t *testing.T) {
	good, err := os.ReadFile("testdata/tiny.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, json, want string }{
		{"syntax", "{\n  \"name\": \"x\",\n  \"seed\": 1,,\n}", "city.json:3:13: invalid character ','"},
		{"type", "{\n  \"people\": \"many\"\n}", "city.json:2:19: people must be int, not string"},
		{"unknown field", `{"peeple": 3}`, `unknown field "peeple"`},
		{"two values", `{} {}`, "more than one JSON value"},
		{"duration", `{"duration": 3600}`, `a duration is text such as "90s" or "3h", not 3600`},
		{"bad duration", `{"duration": "3 hours"}`, `"3 hours" is not a duration`},
		{"checked", strings.Replace(string(good), `"people": 12`, `"people": 0`, 1), "people: a city needs at least 2 people"},
		{"text too long", strings.Replace(string(good), `"max": 400}`, `"max": 40000}`, 1), "traffic.text_bytes: min and max bytes, 1 <= min <= max <= 30000"},
		{"too many fixed", strings.Replace(string(good), `"count": 1, "range": 40`, `"count": 9, "range": 40`, 1), "fixed.count: fixed nodes stand at places: at most 4"},
	} {
		_, err := Parse([]byte(c.json), "city.json")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want %q", c.name, err, c.want)
		}
	}
	if _, err := Parse(good, "tiny.json"); err != nil {
		t.Errorf("tiny.json: %v", err)
	}
}

func TestLoadBounds(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.json")
	if err := os.WriteFile(big, []byte(`{"name":"`+strings.Repeat("x", maxScenario)+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(big); err == nil || !strings.Contains(err.Error(), "a scenario file is at most") {
		t.Errorf("a huge file: %v", err)
	}
	if _, err := Load(filepath.Join(dir, "none.json")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("a missing file: %v", err)
	}
}

func TestScaled(t *testing.T) {
	a, _ := Load("almaty-2022")
	s := a.Scaled(1000)
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
	density := func(s *Scenario) float64 { return float64(s.People) / (s.Area.Width * s.Area.Height) }
	if d0, d1 := density(a), density(s); d1 < d0*0.999 || d1 > d0*1.001 {
		t.Errorf("density %g, was %g", d1, d0)
	}
	if s.Traffic.Texts != 1000 || s.Internet.Bridges != 1 || s.Traffic.Contacts != a.Traffic.Contacts || a.People != 10_000 {
		t.Errorf("scaled: %+v", s)
	}
}

func TestShortened(t *testing.T) {
	a, _ := Load("almaty-2022") // 18 hours of writing in 24
	s, err := a.Shortened(4 * time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if s.Duration.D() != 4*time.Hour || s.Traffic.End.D() != 3*time.Hour || s.Traffic.Texts != 1667 { // 10,000 x 3/18, rounded
		t.Errorf("shortened: %s, writing until %s, %d texts", s.Duration.D(), s.Traffic.End.D(), s.Traffic.Texts)
	}
	if err := s.Check(); err != nil {
		t.Error(err)
	}
	late := *a
	late.Traffic.Start = Duration(5 * time.Hour)
	if _, err := late.Shortened(4 * time.Hour); err == nil || !strings.Contains(err.Error(), "ends before the scenario's traffic starts") {
		t.Errorf("shortened before the traffic: %v", err)
	}
}
