package sim

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"sort"
	"strings"
	"time"
)

// Scenario describes a city and what happens in it. It is read from JSON;
// durations are written as Go durations ("90s", "3h").
type Scenario struct {
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Seed        int64    `json:"seed"`
	Duration    Duration `json:"duration"`       // virtual time simulated
	Step        Duration `json:"step,omitempty"` // movement step; if zero, 10s
	// Area is the city's size in metres.
	Area     Area     `json:"area"`
	People   int      `json:"people"`
	Movement Movement `json:"movement"`
	Radio    Radio    `json:"radio"`
	// Places are where people gather (cafés, markets, stations); a share of
	// waypoints are chosen among them.
	Places int `json:"places,omitempty"`
	// Fixed nodes stand at places (a café's Wi-Fi, a community node).
	Fixed Fixed `json:"fixed,omitempty"`
	// Carriers cross the city faster and further than others (sneakernet:
	// drivers, couriers).
	Carriers Carriers `json:"carriers,omitempty"`
	// Internet is when and through whom the outside is reachable.
	Internet Internet `json:"internet,omitempty"`
	Traffic  Traffic  `json:"traffic"`
	// Buffer is each node's store quota in bytes (policy max_store); if
	// zero, the node's default.
	Buffer int64 `json:"buffer,omitempty"`
	// TTL, if set, is how long a message is worth carrying: it expires
	// (NIP-40) this long after it is written.
	TTL Duration `json:"ttl,omitempty"`
}

// Area is a rectangle in metres.
type Area struct {
	Width  float64 `json:"width"`
	Height float64 `json:"height"`
}

// Movement is how people move: random waypoint (walk at a random speed to
// a random point, pause, repeat), with a share of waypoints at places.
type Movement struct {
	Model    string   `json:"model"`     // "random-waypoint"
	SpeedMin float64  `json:"speed_min"` // m/s
	SpeedMax float64  `json:"speed_max"`
	PauseMin Duration `json:"pause_min"`
	PauseMax Duration `json:"pause_max"`
	// PlaceBias is the probability that a waypoint is a place rather than
	// a random point.
	PlaceBias float64 `json:"place_bias,omitempty"`
}

// Radio is the device-to-device link every person has.
type Radio struct {
	Range     float64  `json:"range"`     // metres
	Bandwidth int64    `json:"bandwidth"` // bytes per second
	Latency   Duration `json:"latency,omitempty"`
}

// Fixed nodes: Count of them at distinct places, with their own radio.
type Fixed struct {
	Count     int     `json:"count,omitempty"`
	Range     float64 `json:"range,omitempty"`     // if zero, Radio.Range
	Bandwidth int64   `json:"bandwidth,omitempty"` // if zero, Radio.Bandwidth
}

// Carriers move at vehicle speed between places.
type Carriers struct {
	Count    int     `json:"count,omitempty"`
	SpeedMin float64 `json:"speed_min,omitempty"` // m/s
	SpeedMax float64 `json:"speed_max,omitempty"`
}

// Internet windows: the outside is reachable at random times, for a while,
// through the bridge nodes (people with a working uplink then).
type Internet struct {
	Bridges int `json:"bridges,omitempty"`
	// Gap is the mean time between windows (exponentially distributed);
	// each window lasts between LengthMin and LengthMax.
	Gap       Duration `json:"gap,omitempty"`
	LengthMin Duration `json:"length_min,omitempty"`
	LengthMax Duration `json:"length_max,omitempty"`
	// Bandwidth of a bridge's uplink, bytes per second.
	Bandwidth int64 `json:"bandwidth,omitempty"`
}

// Traffic is what people write.
type Traffic struct {
	// Contacts is how many people each person writes to (chosen with a bias
	// to people living nearby).
	Contacts int `json:"contacts"`
	// Texts are private messages to one contact: how many, spread over the
	// writing period, and their size in bytes of text.
	Texts     int   `json:"texts"`
	TextBytes Range `json:"text_bytes"`
	// Groups of GroupSize members (the writer's contacts) and the messages
	// written to them.
	Groups        int   `json:"groups,omitempty"`
	GroupSize     int   `json:"group_size,omitempty"`
	GroupMessages int   `json:"group_messages,omitempty"`
	Reports       int   `json:"reports,omitempty"`
	ReportBytes   Range `json:"report_bytes,omitempty"` // the text
	PhotoBytes    Range `json:"photo_bytes,omitempty"`  // the attached photo; zero for none
	// Attachments of private messages (files), bytes; zero for none.
	FileBytes Range `json:"file_bytes,omitempty"`
	// Messages are written between Start and End (offsets); if End is
	// zero, until three quarters of the duration, so the last ones have
	// time to travel.
	Start Duration `json:"start,omitempty"`
	End   Duration `json:"end,omitempty"`
}

// Range is an inclusive range of integers, drawn uniformly.
type Range struct {
	Min int `json:"min"`
	Max int `json:"max"`
}

// Duration is a time.Duration written as text in JSON ("90s").
type Duration time.Duration

func (d Duration) D() time.Duration { return time.Duration(d) }

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration is text such as \"90s\" or \"3h\", not %s", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration (write it like \"90s\", \"45m\" or \"3h\")", s)
	}
	*d = Duration(v)
	return nil
}

//go:embed scenarios/*.json
var shipped embed.FS

// Shipped lists the scenarios built into the program.
func Shipped() []string {
	ents, _ := shipped.ReadDir("scenarios")
	var out []string
	for _, e := range ents {
		out = append(out, strings.TrimSuffix(e.Name(), ".json"))
	}
	sort.Strings(out)
	return out
}

// maxScenario bounds a scenario file.
const maxScenario = 1 << 20

// Load reads a shipped scenario by name, or a scenario file by path.
func Load(nameOrPath string) (*Scenario, error) {
	if b, err := shipped.ReadFile(path.Join("scenarios", nameOrPath+".json")); err == nil {
		return Parse(b, nameOrPath)
	}
	f, err := os.Open(nameOrPath)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("no scenario %q: not a shipped one (%s) and no such file", nameOrPath, strings.Join(Shipped(), ", "))
		}
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxScenario+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", nameOrPath, err)
	}
	if len(b) > maxScenario {
		return nil, fmt.Errorf("%s: a scenario file is at most %d bytes", nameOrPath, maxScenario)
	}
	return Parse(b, nameOrPath)
}

// Parse reads a scenario from JSON; where names the source in errors.
func Parse(b []byte, where string) (*Scenario, error) {
	var s Scenario
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&s); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			line, col := position(b, se.Offset-1) // the offending character itself
			return nil, fmt.Errorf("%s:%d:%d: %v", where, line, col, err)
		case errors.As(err, &te):
			line, col := position(b, te.Offset)
			return nil, fmt.Errorf("%s:%d:%d: %s must be %s, not %s", where, line, col, te.Field, te.Type, te.Value)
		}
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	if d.More() {
		return nil, fmt.Errorf("%s: more than one JSON value; a scenario is one object", where)
	}
	if err := s.Check(); err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	return &s, nil
}

func position(b []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(b)))
	line = 1 + bytes.Count(b[:off], []byte("\n"))
	col = int(off) - bytes.LastIndexByte(b[:off], '\n')
	return line, col
}

// Limits of what one process simulates.
const (
	MaxNodes    = 100_000
	MaxMessages = 1_000_000
	MaxDuration = 30 * 24 * time.Hour
)

// Check says what is wrong with a scenario, field by field.
func (s *Scenario) Check() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if s.Duration <= 0 || s.Duration.D() > MaxDuration {
		bad("duration", "must be between 1s and %s", MaxDuration)
	}
	if s.Step < 0 || (s.Step > 0 && s.Step.D() > time.Hour) {
		bad("step", "must be between 1s and 1h (or left out for 10s)")
	}
	if s.Area.Width <= 0 || s.Area.Height <= 0 || s.Area.Width > 1e6 || s.Area.Height > 1e6 {
		bad("area", "width and height are metres, above 0 and at most 1,000,000")
	}
	if n := s.People + s.Fixed.Count + s.Carriers.Count; s.People < 2 || n > MaxNodes {
		bad("people", "a city needs at least 2 people and at most %d nodes in all", MaxNodes)
	}
	if s.Movement.Model != "random-waypoint" {
		bad("movement.model", "%q is not a model this simulator has (random-waypoint)", s.Movement.Model)
	}
	if s.Movement.SpeedMin <= 0 || s.Movement.SpeedMax < s.Movement.SpeedMin || s.Movement.SpeedMax > 100 {
		bad("movement.speed_min/max", "m/s, 0 < min <= max <= 100")
	}
	if s.Movement.PauseMin < 0 || s.Movement.PauseMax < s.Movement.PauseMin {
		bad("movement.pause_min/max", "0 <= min <= max")
	}
	if s.Movement.PlaceBias < 0 || s.Movement.PlaceBias > 1 {
		bad("movement.place_bias", "a probability, 0 to 1")
	}
	if s.Movement.PlaceBias > 0 && s.Places == 0 {
		bad("places", "place_bias needs places")
	}
	if s.Radio.Range <= 0 || s.Radio.Bandwidth <= 0 {
		bad("radio", "range (m) and bandwidth (bytes/s) must be above 0")
	}
	if s.Radio.Latency < 0 {
		bad("radio.latency", "cannot be negative")
	}
	if s.Places < 0 || s.Fixed.Count < 0 || s.Carriers.Count < 0 || s.Internet.Bridges < 0 {
		bad("places/fixed/carriers/bridges", "counts cannot be negative")
	}
	if s.Fixed.Count > s.Places {
		bad("fixed.count", "fixed nodes stand at places: at most %d (places)", s.Places)
	}
	if s.Carriers.Count > 0 && (s.Carriers.SpeedMin <= 0 || s.Carriers.SpeedMax < s.Carriers.SpeedMin || s.Places < 2) {
		bad("carriers", "need speed_min/max (m/s, 0 < min <= max) and at least 2 places")
	}
	if in := s.Internet; in.Bridges > 0 {
		if in.Bridges > s.People {
			bad("internet.bridges", "bridges are people: at most %d", s.People)
		}
		if in.Gap <= 0 || in.LengthMin <= 0 || in.LengthMax < in.LengthMin || in.Bandwidth <= 0 {
			bad("internet", "bridges need gap, length_min <= length_max (durations) and bandwidth (bytes/s)")
		}
	}
	t := s.Traffic
	if movers := s.People + s.Carriers.Count; t.Contacts < 1 || t.Contacts >= movers {
		bad("traffic.contacts", "each person writes to 1 to %d others (people and carriers write and read)", movers-1)
	}
	if t.Texts < 0 || t.Groups < 0 || t.GroupMessages < 0 || t.Reports < 0 {
		bad("traffic", "counts cannot be negative")
	}
	if n := t.Texts + t.GroupMessages + t.Reports; n == 0 || n > MaxMessages {
		bad("traffic", "between 1 and %d messages in all", MaxMessages)
	}
	if t.Texts > 0 {
		checkRange(bad, "traffic.text_bytes", t.TextBytes, 1, 30_000) // sealed twice in NIP-44, at most 65,535 bytes
	}
	if t.GroupMessages > 0 {
		if t.Groups < 1 || t.GroupSize < 3 || t.GroupSize > min(100, t.Contacts+1) {
			bad("traffic.groups", "group messages need groups of 3 to %d people (group_size, at most contacts+1)", min(100, t.Contacts+1))
		}
	}
	if t.Reports > 0 {
		checkRange(bad, "traffic.report_bytes", t.ReportBytes, 1, 60_000)
	}
	if t.PhotoBytes != (Range{}) {
		checkRange(bad, "traffic.photo_bytes", t.PhotoBytes, 1, 50<<20)
	}
	if t.FileBytes != (Range{}) {
		checkRange(bad, "traffic.file_bytes", t.FileBytes, 1, 50<<20)
	}
	if t.Start < 0 || t.End < 0 || (t.End > 0 && t.End <= t.Start) || t.End > s.Duration {
		bad("traffic.start/end", "0 <= start < end <= duration")
	}
	if s.Buffer < 0 {
		bad("buffer", "cannot be negative")
	}
	if s.TTL < 0 {
		bad("ttl", "cannot be negative")
	}
	return errors.Join(errs...)
}

func checkRange(bad func(string, string, ...any), field string, r Range, lo, hi int) {
	if r.Min < lo || r.Max < r.Min || r.Max > hi {
		bad(field, "min and max bytes, %d <= min <= max <= %d", lo, hi)
	}
}

// step is the movement step.
func (s *Scenario) step() time.Duration {
	if s.Step == 0 {
		return 10 * time.Second
	}
	return s.Step.D()
}

// writing is the period messages are written in.
func (s *Scenario) writing() (start, end time.Duration) {
	end = s.Traffic.End.D()
	if end == 0 {
		end = s.Duration.D() * 3 / 4
	}
	return s.Traffic.Start.D(), end
}

// Scaled is s for a city of people instead of s.People, at the same
// density: the area, the places, fixed nodes, carriers, bridges and
// traffic shrink or grow in proportion (each count at least 1 where it was
// not 0). Per-person figures (contacts, group size) stay.
func (s *Scenario) Scaled(people int) *Scenario {
	c := *s
	if people <= 0 || people == s.People {
		return &c
	}
	f := float64(people) / float64(s.People)
	scale := func(n int) int {
		if n == 0 {
			return 0
		}
		return max(1, int(math.Round(float64(n)*f)))
	}
	c.People = people
	c.Area.Width *= math.Sqrt(f)
	c.Area.Height *= math.Sqrt(f)
	c.Places = scale(s.Places)
	c.Fixed.Count = min(scale(s.Fixed.Count), c.Places)
	c.Carriers.Count = scale(s.Carriers.Count)
	c.Internet.Bridges = min(scale(s.Internet.Bridges), people)
	c.Traffic.Texts = scale(s.Traffic.Texts)
	c.Traffic.Groups = scale(s.Traffic.Groups)
	c.Traffic.GroupMessages = scale(s.Traffic.GroupMessages)
	c.Traffic.Reports = scale(s.Traffic.Reports)
	c.Traffic.Contacts = min(s.Traffic.Contacts, people+c.Carriers.Count-1)
	c.Name = fmt.Sprintf("%s (scaled to %d people)", s.Name, people)
	return &c
}

// Shortened is s over d instead of s.Duration, at the same rate of
// writing: what was written between the traffic's start and end is cut
// to the part of that period that remains, and its counts in proportion.
func (s *Scenario) Shortened(d time.Duration) (*Scenario, error) {
	c := *s
	if d <= 0 || d >= s.Duration.D() {
		return &c, nil
	}
	start, end := s.writing()
	newEnd := min(end, d*3/4)
	if newEnd <= start {
		return nil, fmt.Errorf("%s ends before the scenario's traffic starts (%s)", d, start)
	}
	f := float64(newEnd-start) / float64(end-start)
	scale := func(n int) int {
		if n == 0 {
			return 0
		}
		return max(1, int(math.Round(float64(n)*f)))
	}
	c.Duration, c.Traffic.End = Duration(d), Duration(newEnd)
	c.Traffic.Texts = scale(s.Traffic.Texts)
	c.Traffic.GroupMessages = scale(s.Traffic.GroupMessages)
	c.Traffic.Reports = scale(s.Traffic.Reports)
	return &c, nil
}
