package publish

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Mojibake is UTF-8 text that was once decoded with a single-byte charset
// (Windows-1252, Latin-1, Mac Roman, Mac Central European, Windows-1251)
// and saved again: "empezó" becomes "empezÃ³", "—" becomes "â€”", Cyrillic
// becomes "Ð¡Ð¾Ð¾...". Sometimes twice over, sometimes only in part of a
// line.
//
// The repair reverses it where the evidence is strong: a run of non-ASCII
// characters that the charset maps back to bytes forming valid multi-byte
// UTF-8 is decoded; everything else is left as it is. A line is changed
// only if it holds two or more such runs, or one run of three characters
// or more (such as "â€”"): a lone "Å‚" in Danish text stays, because it
// may be meant. Clean text in any language passes unchanged. The whole
// text is repaired again until nothing changes (at most three times), for
// text garbled more than once.
//
// The charset tables in charmaps.go map bytes 0x80-0xFF to what each
// charset shows; undefined bytes map to the C1 control of the same value,
// as most decoders in the wild do.

type charset struct {
	name string
	back map[rune]byte // shown character -> byte
}

var charsets = func() []charset {
	var out []charset
	for _, c := range []struct {
		name string
		high *[128]rune
	}{
		{"Windows-1252", &windows1252High},
		{"Latin-1", &latin1High},
		{"Mac Roman", &macRomanHigh},
		{"Mac Central European", &macCentralEuropeHigh},
		{"Windows-1251", &windows1251High},
	} {
		back := map[rune]byte{}
		for i, r := range c.high {
			back[r] = byte(0x80 + i)
		}
		out = append(out, charset{c.name, back})
	}
	return out
}()

// Repair is what RepairMojibake did.
type Repair struct {
	Line    int    // 1-based
	Charset string // how the text had been misread
	Before  string // the damaged words
	After   string
}

// RepairMojibake returns text with mojibake reversed, and what it changed.
func RepairMojibake(text string) (string, []Repair) {
	var all []Repair
	repaired := map[int]bool{} // lines with proven damage: a single short run may be repaired too
	for round := 0; round < 3; round++ {
		lines := strings.Split(text, "\n")
		changed := false
		for i, line := range lines {
			fixed, reps := repairLine(line, repaired[i])
			if len(reps) > 0 {
				for j := range reps {
					reps[j].Line = i + 1
				}
				all = append(all, reps...)
				lines[i] = fixed
				changed = true
				repaired[i] = true
			}
		}
		text = strings.Join(lines, "\n")
		if !changed {
			break
		}
	}
	return text, all
}

// repairLine tries each charset and keeps the one that repairs the most.
func repairLine(line string, proven bool) (string, []Repair) {
	best, bestReps := line, []Repair(nil)
	for _, cs := range charsets {
		fixed, reps := repairWith(line, cs)
		if len(reps) > len(bestReps) {
			best, bestReps = fixed, reps
		}
	}
	if len(bestReps) == 0 {
		return line, nil
	}
	// One short run alone is not evidence enough.
	if !proven && len(bestReps) == 1 && utf8.RuneCountInString(bestReps[0].Before) < 3 {
		return line, nil
	}
	return best, bestReps
}

// repairWith decodes, with one charset, each run of non-ASCII characters
// that maps back to valid UTF-8.
func repairWith(line string, cs charset) (string, []Repair) {
	var (
		out  strings.Builder
		reps []Repair
	)
	runes := []rune(line)
	for i := 0; i < len(runes); {
		if runes[i] < 0x80 {
			out.WriteRune(runes[i])
			i++
			continue
		}
		j := i
		for j < len(runes) && runes[j] >= 0x80 {
			j++
		}
		run := runes[i:j]
		fixed, ok := decodeDeep(run, cs, 3)
		if ok {
			reps = append(reps, Repair{Charset: cs.name, Before: string(run), After: fixed})
			out.WriteString(fixed)
		} else {
			out.WriteString(string(run))
		}
		i = j
	}
	return out.String(), reps
}

// decodeDeep decodes a run, and again while the result still holds C1
// controls (text garbled twice decodes to the once-garbled form first).
// The final result must be free of them.
func decodeDeep(run []rune, cs charset, depth int) (string, bool) {
	s, ok := decodeRun(run, cs)
	if !ok || !hasC1(s) {
		return s, ok
	}
	if depth > 1 {
		for _, next := range charsets {
			if t, ok := decodeDeep([]rune(s), next, depth-1); ok {
				return t, true
			}
		}
	}
	return "", false
}

func hasC1(s string) bool {
	for _, r := range s {
		if r >= 0x80 && r < 0xA0 {
			return true
		}
	}
	return false
}

// decodeRun maps a run back to bytes and decodes the valid UTF-8 sequences
// in it; characters that are not part of one stay as they were. It fails
// when nothing decodes, or the result has control characters.
func decodeRun(run []rune, cs charset) (string, bool) {
	bs := make([]byte, len(run))
	for k, r := range run {
		b, ok := cs.back[r]
		if !ok {
			return "", false
		}
		bs[k] = b
	}
	var out strings.Builder
	decoded := false
	for k := 0; k < len(bs); {
		r, size := utf8.DecodeRune(bs[k:])
		if r != utf8.RuneError && size > 1 {
			c1 := r >= 0x80 && r < 0xA0 // kept for a further round (decodeDeep)
			if !c1 && (unicode.IsControl(r) || !unicode.IsPrint(r) && !unicode.IsSpace(r)) {
				return "", false
			}
			out.WriteRune(r)
			decoded = true
			k += size
			continue
		}
		out.WriteRune(run[k])
		k++
	}
	if !decoded {
		return "", false
	}
	return out.String(), true
}
