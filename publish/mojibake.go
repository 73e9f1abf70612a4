package publish

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Mojibake is UTF-8 text that was once decoded with a single-byte charset
// (Windows-1252, Latin-1, Mac Roman, Mac Central European, Windows-1251)
// and saved again: "empezó" becomes "empezÃ³", "—" becomes "â€”", Cyrillic
// becomes "Ð¡Ð¾Ð¾...". Sometimes twice over, sometimes only in part of a
// line, often in some lines of an article and not others.
//
// The repair reverses it where the evidence is strong. A run of non-ASCII
// characters that a charset maps back to bytes forming valid multi-byte
// UTF-8 decodes to a candidate repair; the candidate is dropped if it
// gives characters only a wrong guess produces (IPA letters, spacing
// modifiers, a Cyrillic letter inside a Latin word), or if the run holds
// a letter that is not part of the decoded bytes ("Лёша" is not
// Windows-1251 for "˸" and "ша"). A line is changed when its own runs
// prove the damage: one that decodes whole to several characters or to
// one of three bytes or more ("â€”", "Ð¡Ð¾Ð¾"), or two that give a
// letter each ("empezÃ³", "quiÃ©n"). A lone "Å‚" in Danish text stays,
// because it may be meant, and so does mojibake quoted beside its repair
// ("«é» aparece como «Ã©»"). But once a line proves a charset, the rest
// of the document is read with that knowledge: a lone short run inside a
// word that the same charset decodes ("Kazajst√°n") is repaired too; a
// run that is a word by itself, or that gives a symbol ("√∑x" is Mac
// Roman for "÷x", and maths), still stays. Invisible characters
// (zero-width space, soft hyphen, joiners) decode like any other when the
// evidence is there. Clean text in any language passes unchanged. The
// whole text is repaired again until nothing changes (at most three
// times), for text garbled more than once.
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

// maxLayers is how many times over text may have been garbled.
const maxLayers = 3

// RepairMojibake returns text with mojibake reversed, and what it changed.
func RepairMojibake(text string) (string, []Repair) {
	out, reps := repairDocument([]string{text})
	return out[0], reps[0]
}

// repairDocument repairs the parts of one document (its body, title,
// summary, tags) together, so that a charset one part proves serves the
// others. Repair.Line counts the lines of each part.
func repairDocument(parts []string) ([]string, [][]Repair) {
	type docLine struct {
		text   string
		proven bool // repaired on its own evidence: further layers need less
	}
	type at struct{ part, line int }
	lines := make([][]docLine, len(parts))
	for p, s := range parts {
		for _, t := range strings.Split(s, "\n") {
			lines[p] = append(lines[p], docLine{text: t})
		}
	}
	reps := make([][]Repair, len(parts))
	apply := func(a at, r lineRepair) {
		l := &lines[a.part][a.line]
		l.text = r.apply(l.text)
		for _, run := range r.runs {
			rep := run.Repair
			rep.Line = a.line + 1
			reps[a.part] = append(reps[a.part], rep)
		}
	}
	established := map[string]int{} // charset -> lines that proved it
	for round := 0; round < maxLayers; round++ {
		changed := false
		var unproven []at // lines with weak evidence only: decided once the whole document is read
		for p := range lines {
			for i := range lines[p] {
				l := &lines[p][i]
				if isASCII(l.text) {
					continue
				}
				r, ok := repairOwn(l.text, l.proven)
				if !ok {
					if len(r.runs) > 0 {
						unproven = append(unproven, at{p, i})
					}
					continue
				}
				if r.evidence >= 2 {
					established[r.cs.name]++
				}
				apply(at{p, i}, r)
				l.proven, changed = true, true
			}
		}
		for _, a := range unproven {
			if r, ok := repairKnown(lines[a.part][a.line].text, established); ok {
				apply(a, r)
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	out := make([]string, len(parts))
	for p := range lines {
		texts := make([]string, len(lines[p]))
		for i, l := range lines[p] {
			texts[i] = l.text
		}
		out[p] = strings.Join(texts, "\n")
	}
	return out, reps
}

// lineRepair is what one charset would repair in a line.
type lineRepair struct {
	cs       charset
	runs     []runRepair
	evidence int // sum of the runs' evidence
}

type runRepair struct {
	Repair
	start, end int // in runes of the line
	// evidence is what the run says about the line: 2 for a run that
	// decodes whole to a long sequence or several, 1 for one short
	// sequence, 0 for one that gives a symbol, for a run that decodes
	// only in part (punctuation or spaces beside the damage) or that
	// stands alone with its repair written nearby, as a text about
	// mojibake quotes it.
	evidence int
	// inWord: the run touches a letter or digit, as a damaged letter
	// does, rather than standing alone as a word ("Å‚"). marks, symbols:
	// the repair holds combining marks, symbols.
	inWord, marks, symbols bool
}

func (r lineRepair) apply(line string) string {
	runes := []rune(line)
	var b strings.Builder
	at := 0
	for _, run := range r.runs {
		b.WriteString(string(runes[at:run.start]))
		b.WriteString(run.After)
		at = run.end
	}
	b.WriteString(string(runes[at:]))
	return b.String()
}

// repairOwn picks the charset that repairs the most runs of a line that
// proves its damage itself. A line proven in an earlier round needs less
// for a further layer: runs with some evidence, but not quoted or partial
// ones ("«é»" once repaired is not Mac Roman for "ǎ»"). ok is false if no
// charset does; best then holds what the best charset would repair
// anyway.
func repairOwn(line string, proven bool) (best lineRepair, ok bool) {
	for _, cs := range charsets {
		r := repairWith(line, cs)
		good := r.evidence >= 2
		if !good && proven {
			r = r.keep(func(run runRepair) bool { return run.evidence > 0 })
			good = true
		}
		if len(r.runs) == 0 {
			continue
		}
		if good && (!ok || len(r.runs) > len(best.runs)) || !good && !ok && len(r.runs) > len(best.runs) {
			best, ok = r, good
		}
	}
	return best, ok
}

// repairKnown repairs the runs of a line that does not prove its damage,
// with a charset that other lines of the document proved, the most
// proven first: the runs inside words, which a correct text would not
// have there ("Kazajst√°n"), and that give letters, punctuation or
// invisible characters. A run that is a word by itself may be meant, and
// so may symbols: "√∑x" is Mac Roman for "÷x", but it is also maths.
func repairKnown(line string, established map[string]int) (lineRepair, bool) {
	var known []charset
	for _, cs := range charsets {
		if established[cs.name] > 0 {
			known = append(known, cs)
		}
	}
	sort.SliceStable(known, func(i, j int) bool { return established[known[i].name] > established[known[j].name] })
	for _, cs := range known {
		r := repairWith(line, cs).keep(func(run runRepair) bool { return run.inWord && !run.marks && !run.symbols })
		if len(r.runs) > 0 {
			return r, true
		}
	}
	return lineRepair{}, false
}

// keep returns r with only the runs that ok accepts.
func (r lineRepair) keep(ok func(runRepair) bool) lineRepair {
	var runs []runRepair
	for _, run := range r.runs {
		if ok(run) {
			runs = append(runs, run)
		}
	}
	r.runs = runs
	return r
}

// repairWith decodes, with one charset, each run of non-ASCII characters
// that maps back to valid UTF-8 and gives plausible text.
func repairWith(line string, cs charset) lineRepair {
	r := lineRepair{cs: cs}
	runes := []rune(line)
	for i := 0; i < len(runes); {
		if runes[i] < 0x80 {
			i++
			continue
		}
		j := i
		for j < len(runes) && runes[j] >= 0x80 {
			j++
		}
		if run, ok := repairRun(runes, i, j, cs); ok {
			r.runs = append(r.runs, run)
			r.evidence += run.evidence
		}
		i = j
	}
	return r
}

// quoteWindow is how far from a run (in characters) its repair, written
// out, makes the run a quotation.
const quoteWindow = 80

// repairRun decodes runes[i:j], a run of non-ASCII characters.
func repairRun(runes []rune, i, j int, cs charset) (runRepair, bool) {
	run := runes[i:j]
	d, ok := decodeDeep(run, cs, maxLayers)
	if !ok {
		return runRepair{}, false
	}
	prev, next := ' ', ' '
	if i > 0 {
		prev = runes[i-1]
	}
	if j < len(runes) {
		next = runes[j]
	}
	if !plausible(d.text, prev, next, d.seqs == 1 && !d.long) {
		return runRepair{}, false
	}
	r := runRepair{
		Repair: Repair{Charset: cs.name, Before: string(run), After: d.text},
		start:  i,
		end:    j,
		inWord: isWordChar(prev) || isWordChar(next),
	}
	// A Cyrillic word decodes only to common Cyrillic letters: "Рё" is
	// "и", but "Ті" is Ukrainian, not "ҳ", and "Ці" is not a Hebrew point.
	if !r.inWord && cyrillicWord(run) && !cyrillicWord([]rune(d.text)) {
		return runRepair{}, false
	}
	for _, c := range d.text {
		r.marks = r.marks || unicode.IsMark(c)
		r.symbols = r.symbols || unicode.IsSymbol(c)
	}
	switch {
	case d.partial:
	case d.seqs >= 2 || d.long:
		r.evidence = 2
	case r.symbols: // one symbol for two ("÷" for "√∑") may be meant
	default:
		r.evidence = 1
	}
	// A run that stands alone with its repair standing alone nearby is
	// quoted, as a text about mojibake quotes it: no evidence.
	if r.evidence > 0 && !r.inWord {
		from, to := max(0, i-quoteWindow), min(len(runes), j+quoteWindow)
		if hasWord(runes[from:i], d.text) || hasWord(runes[j:to], d.text) {
			r.evidence = 0
		}
	}
	return r, true
}

// cyrillicWord reports whether w is all Cyrillic letters that Russian,
// Ukrainian or Belarusian use.
func cyrillicWord(w []rune) bool {
	for _, c := range w {
		if cyrillicFreq[unicode.ToLower(c)] == 0 {
			return false
		}
	}
	return len(w) > 0
}

// hasWord reports whether w is in text with no letter or digit either
// side.
func hasWord(text []rune, w string) bool {
	s := string(text)
	for at := 0; ; {
		k := strings.Index(s[at:], w)
		if k < 0 {
			return false
		}
		k += at
		before, _ := utf8.DecodeLastRuneInString(s[:k])
		after, _ := utf8.DecodeRuneInString(s[k+len(w):])
		if !isWordChar(before) && !isWordChar(after) {
			return true
		}
		at = k + 1
	}
}

func isWordChar(c rune) bool { return unicode.IsLetter(c) || unicode.IsDigit(c) }

// plausible reports whether s, decoded from a run between prev and next,
// is text people write rather than what only a wrong guess produces.
// short: s is one character decoded from two bytes.
func plausible(s string, prev, next rune, short bool) bool {
	// A single short sequence is a letter of the word it touches; longer
	// runs may be a layer of text garbled twice ("Вї" before "Qui").
	latinWord := short && (isASCIILetter(prev) || isASCIILetter(next))
	p := prev
	for _, c := range s {
		switch {
		case c >= 0x80 && c < 0xA0:
			return false // a C1 control: a layer decodeDeep could not undo
		case c < 0x800 && !plausible2(c, p):
			return false
		case c >= 0xFDD0 && c <= 0xFDEF, c&0xFFFE == 0xFFFE:
			return false // noncharacters
		case latinWord && unicode.IsLetter(c) && !unicode.Is(unicode.Latin, c):
			return false // a Cyrillic or Greek letter glued to a Latin word
		}
		p = c
	}
	return true
}

func isASCIILetter(c rune) bool { return c < 0x80 && unicode.IsLetter(c) }

// plausible2 reports whether c, which UTF-8 writes in two bytes, is a
// character of the languages people write with the letters these
// charsets cover. Left out: IPA letters and spacing modifiers, rare Latin
// Extended-B letters, archaic Greek: what "«É" (U+01C3) or "Лё" (U+02F8)
// give when read as UTF-8 by mistake.
func plausible2(c, prev rune) bool {
	switch {
	case c >= 0xA0 && c <= 0x17F: // Latin-1 Supplement (with NBSP and the soft hyphen), Latin Extended-A
		return true
	case c == 0x18F || c == 0x259: // Ə ə (Azerbaijani)
		return true
	case c == 0x1A0 || c == 0x1A1 || c == 0x1AF || c == 0x1B0: // Ơ ơ Ư ư (Vietnamese)
		return true
	case c >= 0x218 && c <= 0x21B: // Ș ș Ț ț (Romanian)
		return true
	case c == 0x2BB || c == 0x2BC: // ʻ ʼ (Uzbek, Ukrainian apostrophe)
		return true
	case c == 0x192 || c == 0x2C6 || c == 0x2C7 || c >= 0x2D8 && c <= 0x2DD: // ƒ ˆ ˇ ˘ ˙ ˚ ˛ ˜ ˝, which the charsets show: a layer of text garbled twice
		return true
	case c >= 0x300 && c <= 0x36F: // combining accents, as in NFD text: after a letter
		return unicode.IsLetter(prev) || unicode.IsMark(prev)
	case c >= 0x386 && c <= 0x3CE: // Greek
		return true
	case c >= 0x400 && c <= 0x4FF: // Cyrillic
		return true
	case c >= 0x531: // Armenian, Hebrew, Arabic, Syriac, Thaana, N'Ko
		return unicode.IsLetter(c) || unicode.IsMark(c) || unicode.IsPunct(c) || unicode.IsDigit(c) || unicode.Is(unicode.Cf, c)
	}
	return false
}

// decoded is a run decoded once or more.
type decoded struct {
	text    string
	seqs    int  // multi-byte sequences decoded in the outermost layer
	long    bool // one of them has three bytes or more
	partial bool // characters of the run are not part of a sequence
}

// decodeDeep decodes a run, and again while the result still holds C1
// controls (text garbled twice decodes to the once-garbled form first).
// The final result must be free of them.
func decodeDeep(run []rune, cs charset, depth int) (decoded, bool) {
	d, ok := decodeRun(run, cs)
	if !ok || !hasC1(d.text) {
		return d, ok
	}
	if depth > 1 {
		for _, next := range charsets {
			if inner, ok := decodeDeep([]rune(d.text), next, depth-1); ok && !hasC1(inner.text) {
				d.text = inner.text
				d.partial = d.partial || inner.partial
				return d, true
			}
		}
	}
	return decoded{}, false
}

func hasC1(s string) bool {
	for _, r := range s {
		if r >= 0x80 && r < 0xA0 {
			return true
		}
	}
	return false
}

// decodeRun maps a run back to bytes and decodes the valid UTF-8
// sequences in it. Punctuation and spaces that are not part of one stay
// as they were (they were often added beside the damage: an &nbsp;, a
// quotation mark); any other character left over fails the run, as does
// a run where nothing decodes.
func decodeRun(run []rune, cs charset) (decoded, bool) {
	bs := make([]byte, len(run))
	for k, r := range run {
		b, ok := cs.back[r]
		if !ok {
			return decoded{}, false
		}
		bs[k] = b
	}
	var (
		out strings.Builder
		d   decoded
	)
	for k := 0; k < len(bs); {
		r, size := utf8.DecodeRune(bs[k:])
		if r != utf8.RuneError && size > 1 {
			out.WriteRune(r)
			d.seqs++
			d.long = d.long || size >= 3
			k += size
			continue
		}
		if !unicode.IsPunct(run[k]) && !unicode.IsSpace(run[k]) {
			return decoded{}, false
		}
		out.WriteRune(run[k])
		d.partial = true
		k++
	}
	if d.seqs == 0 {
		return decoded{}, false
	}
	d.text = out.String()
	return d, true
}
