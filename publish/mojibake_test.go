package publish

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// mojibakeCase is one text of a fixture: Garbled repairs to Expected,
// and a clean text is its own Expected.
type mojibakeCase struct{ Garbled, Expected, How string }

// mojibakeFixtures reads the fixtures: mojibake-cases.json, a copy of the
// shared shared/fixtures/mojibake/cases.json, and our own cases in
// Spanish, Russian and Kazakh.
func mojibakeFixtures(t testing.TB) []mojibakeFixture {
	files, _ := filepath.Glob(filepath.Join("testdata", "mojibake-*.json"))
	if len(files) < 2 {
		t.Fatalf("fixtures: %q", files)
	}
	var out []mojibakeFixture
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var cases []mojibakeCase
		if err := json.Unmarshal(b, &cases); err != nil || len(cases) == 0 {
			t.Fatalf("%s: %v", f, err)
		}
		out = append(out, mojibakeFixture{filepath.Base(f), cases})
	}
	return out
}

type mojibakeFixture struct {
	file  string
	cases []mojibakeCase
}

func TestMojibakeFixtures(t *testing.T) {
	for _, f := range mojibakeFixtures(t) {
		for _, c := range f.cases {
			got, reps := RepairMojibake(c.Garbled)
			if got != c.Expected {
				t.Errorf("%s: %s:\n  in   %q\n  got  %q\n  want %q", f.file, c.How, c.Garbled, got, c.Expected)
			}
			if (c.Garbled == c.Expected) != (len(reps) == 0) {
				t.Errorf("%s: %s: %d repairs reported", f.file, c.How, len(reps))
			}
		}
	}
}

// The damaged article of issue 17 (testdata/import/caspio-mac.md): UTF-8
// read as Mac Roman or Mac Central European, up to three times, between
// clean lines. Before, three of its lines stayed wrong: a lone
// "Kazajst√°n" in a document that proves Mac Roman, a zero-width space
// ("‚Äč"), and "Лёша", decoded right and then read again as Windows-1251.
func TestMojibakeArticle(t *testing.T) {
	garbled, err := os.ReadFile(filepath.Join("testdata", "import", "caspio-mac.md"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("testdata", "mojibake-caspio.want.md"))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := RepairMojibake(string(garbled))
	gotLines, wantLines := strings.Split(got, "\n"), strings.Split(string(want), "\n")
	if len(gotLines) != len(wantLines) {
		t.Fatalf("%d lines, want %d", len(gotLines), len(wantLines))
	}
	for i := range gotLines {
		if gotLines[i] != wantLines[i] {
			t.Errorf("line %d:\n  got  %q\n  want %q", i+1, gotLines[i], wantLines[i])
		}
	}
}

// A short run that the document proves elsewhere is repaired; alone, or
// standing as a word by itself, it stays.
func TestMojibakeShortRunProvenElsewhere(t *testing.T) {
	macRoman := charsets[2]
	proof := garble("Según los médicos, el hospital funcionó con un generador.", macRoman)
	for _, c := range []struct{ in, want string }{
		{proof + "\n\nFrontera con Kazajst√°n", "Según los médicos, el hospital funcionó con un generador.\n\nFrontera con Kazajstán"},
		{"Frontera con Kazajst√°n\n" + proof, "Frontera con Kazajstán\nSegún los médicos, el hospital funcionó con un generador."},
		{"Frontera con Kazajst√°n", "Frontera con Kazajst√°n"},
		// Another charset's pair is not proven by Mac Roman.
		{proof + "\nFrontera con KazajstÃ¡n", "Según los médicos, el hospital funcionó con un generador.\nFrontera con KazajstÃ¡n"},
		// A run that is a word by itself may be meant.
		{garble("¿Quién decidió apagar las antenas?", charsets[0]) + "\nØlberg & Ærø: Å‚ is rare", "¿Quién decidió apagar las antenas?\nØlberg & Ærø: Å‚ is rare"},
	} {
		if got, _ := RepairMojibake(c.in); got != c.want {
			t.Errorf("in   %q\n  got  %q\n  want %q", c.in, got, c.want)
		}
	}
}

// Invisible characters decode like any other when the evidence is there.
func TestMojibakeInvisibleCharacters(t *testing.T) {
	for _, c := range []struct {
		clean    string
		charsets []int
	}{
		{"Más información:\u200b https://example.org — actualizado.", []int{3}},   // zero-width space, Mac Central European
		{"Etiquetas: #Kazajstán #Aktau\u200b #apagón", []int{2}},                  // zero-width space, Mac Roman
		{"Подробнее:\u200b https://example.org — обновлено.", []int{4}},           // zero-width space, Windows-1251
		{"Las tele\u00adco\u00admu\u00adni\u00adca\u00adcio\u00adnes.", []int{2}}, // soft hyphens, Mac Roman
		{"Las tele\u00adco\u00admu\u00adni\u00adca\u00adcio\u00adnes.", []int{0}}, // soft hyphens, Windows-1252
		{"Ақтау\u2060—\u2060Баку, хабар\u200cлама.", []int{1}},                    // word joiner, zero-width non-joiner, Latin-1
		{"la compañía y el día", []int{0, 2}},                                     // "í" is "Ã" and a soft hyphen on the way
	} {
		in := c.clean
		for _, i := range c.charsets {
			in = garble(in, charsets[i])
		}
		if got, _ := RepairMojibake(in); got != c.clean {
			t.Errorf("in   %q\n  got  %q\n  want %q", in, got, c.clean)
		}
	}
}

// Correct words that a charset happens to decode stay as they are, alone,
// beside damage and after it is repaired.
func TestMojibakeCorrectWordsStay(t *testing.T) {
	words := []string{
		"Лёша принёс Ёлку, а Сёма — радио.",          // "Лё" is Windows-1251 for U+02F8
		"Кітапхана, Кісі, Кіші жүз.",                 // "Кі": U+02B3
		"Ні, Ті люди не прийшли. Ці дні були важкі.", // whole words: U+0373, U+04B3, U+05B3
		"la «é» aparece como «Ã©», y «É» como «Ã‰».", // "«é" is Mac Roman for U+01CE
		`"ñ" se ve como "Ã±" y "ó" como "Ã³".`,       // quoted beside their repairs
		"«L'ÉTÉ» PASÓ»", // "É»", "Ó»": U+027B, U+04FB
	}
	damaged := garble("Во вторник утром в городе отключили мобильный интернет.", charsets[4]) + "\n" +
		garble("Según los médicos, el hospital funcionó con un generador.", charsets[0])
	for _, w := range words {
		for _, in := range []string{w, damaged + "\n" + w, garble(w, charsets[2])} {
			got, _ := RepairMojibake(in)
			if lines := strings.Split(got, "\n"); lines[len(lines)-1] != w {
				t.Errorf("in   %q\n  got  %q\n  want %q", in, got, w)
			}
		}
	}
}

// The repair rate over every fixture, line by line: the damaged lines
// repaired exactly, the clean ones left as they are. docs/reports.md
// quotes it.
func TestMojibakeRepairRate(t *testing.T) {
	type tally struct{ damaged, repaired, clean, kept int }
	var total tally
	count := func(name string, garbled, want string) {
		var n tally
		got, _ := RepairMojibake(garbled)
		in, out, exp := strings.Split(garbled, "\n"), strings.Split(got, "\n"), strings.Split(want, "\n")
		for i := range exp {
			switch {
			case strings.TrimSpace(exp[i]) == "":
			case in[i] == exp[i]:
				n.clean++
				if i < len(out) && out[i] == exp[i] {
					n.kept++
				}
			default:
				n.damaged++
				if i < len(out) && out[i] == exp[i] {
					n.repaired++
				}
			}
		}
		if name != "" {
			t.Logf("%s: repaired %d of %d damaged lines, left %d of %d clean lines unchanged", name, n.repaired, n.damaged, n.kept, n.clean)
		}
		total.damaged += n.damaged
		total.repaired += n.repaired
		total.clean += n.clean
		total.kept += n.kept
	}
	for _, f := range mojibakeFixtures(t) {
		before := total
		for _, c := range f.cases {
			count("", c.Garbled, c.Expected)
		}
		t.Logf("%s: repaired %d of %d damaged lines, left %d of %d clean lines unchanged", f.file,
			total.repaired-before.repaired, total.damaged-before.damaged, total.kept-before.kept, total.clean-before.clean)
	}
	garbled, err1 := os.ReadFile(filepath.Join("testdata", "import", "caspio-mac.md"))
	want, err2 := os.ReadFile(filepath.Join("testdata", "mojibake-caspio.want.md"))
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	count("caspio-mac.md", string(garbled), string(want))
	t.Logf("all fixtures: repaired %d of %d damaged lines (%.1f%%), left %d of %d clean lines unchanged",
		total.repaired, total.damaged, 100*float64(total.repaired)/float64(total.damaged), total.kept, total.clean)

	// And what TestMojibakeRoundTrips garbles: the corpus through each
	// charset once, and then once more through each.
	var generated, fixed int
	for _, cs := range charsets {
		for _, clean := range corpus {
			once := garble(clean, cs)
			for _, g := range append([]string{once}, garbleAll(once)...) {
				if g == clean || strings.ContainsRune(g, 0xFFFD) {
					continue
				}
				generated++
				if got, _ := RepairMojibake(g); got == clean {
					fixed++
				}
			}
		}
	}
	t.Logf("generated: repaired %d of %d garbled lines (%.1f%%)", fixed, generated, 100*float64(fixed)/float64(generated))
}

// garbleAll garbles s with every charset.
func garbleAll(s string) []string {
	var out []string
	for _, cs := range charsets {
		out = append(out, garble(s, cs))
	}
	return out
}

// garble reads UTF-8 text as if it were in a single-byte charset.
func garble(s string, cs charset) string {
	shown := map[byte]rune{}
	for r, b := range cs.back {
		shown[b] = r
	}
	var out []rune
	for _, b := range []byte(s) {
		if b < 0x80 {
			out = append(out, rune(b))
		} else {
			out = append(out, shown[b])
		}
	}
	return string(out)
}

var corpus = []string{
	"El 2 de enero la huelga empezó en Zhanaozen — nadie esperaba lo que vino después…",
	"«Нас не слышно», — написала она; связь вернулась только через три дня.",
	"Алматыда интернет өшірілді, бірақ қоңырау шалуға болатын еді: «біз аманбыз».",
	"They wrote: “we are safe” — then nothing; the line went silent at 17:40.",
	"Ñandú, pingüino, acción, corazón: ¿qué pasó en la plaza? ¡Compártanlo!",
	"Les médecins soignent les blessés à l’hôpital — « restez chez vous ».",
	"Ärzte berichten: Straßen gesperrt, Verletzte überall – „bleibt zu Hause“.",
	"Łódź, Gdańsk i Kraków: ludzie wyszli na ulice — „nie ma internetu”.",
	"Кітапхана жұмысын тоқтатпады: оқушылар өз сабақтарын сол жерде дайындады.",
	"Лёша из соседнего подъезда принёс радиоприёмник, и мы слушали новости.",
	"Ні, Ті люди не прийшли, бо зв'язку не було.",
}

var cleanTexts = []string{
	"naïve café in São Paulo, jalapeño, résumé, coöperate",
	"Это обычный текст без ошибок, «кавычки» и — тире.",
	"Қазақ тілі: әріптер ә, ғ, қ, ң, ө, ұ, ү, һ, і.",
	"Ελληνικά: η απεργία ξεκίνησε στις 2 Ιανουαρίου.",
	"العربية: بدأ الإضراب في الثاني من يناير",
	"中文：罢工于一月二日开始。日本語のテキスト。",
	"Türkçe: grev 2 Ocak'ta başladı; İstanbul, Şişli, ğüşıöç.",
	"Polski: zażółć gęślą jaźń — Łódź.",
	"Emoji 🚧📵✊ and math √2 ≈ 1.414, ±5%, 100 °C, 3×4÷2, µs, ©®™",
	"Ølberg & Ærø: Å‚ is rare but legal",
	"Íslenska: Þórður og Ðórir, æði.",
	"Tiếng Việt: Cuộc đình công bắt đầu ngày 2 tháng 1.",
	// Words that a charset decodes, in part or whole.
	"Лёша принёс Ёлку, а Сёма — радио; Кітапхана, Кісі; Ні, Ті люди не прийшли.",
	"«Él dijo: ¿Ésta?» — «Ñoño», «Ángel»; « été », «L'ÉTÉ» PASÓ»",
	"Maths: √∑x is not ÷x; x ≈ √π, ±√3, ∂f/∂x",
	"Si un archivo UTF-8 se abre como Windows-1252, la «é» aparece como «Ã©».",
}

func TestMojibakeRoundTrips(t *testing.T) {
	for _, cs := range charsets {
		for _, clean := range corpus {
			garbled := garble(clean, cs)
			if garbled == clean {
				continue
			}
			// Characters the charset cannot show make the garbling lossy in
			// real life as well; skip those lines for that charset.
			if strings.ContainsRune(garbled, 0xFFFD) {
				continue
			}
			if got, _ := RepairMojibake(garbled); got != clean {
				t.Errorf("%s once:\n  in   %q\n  got  %q\n  want %q", cs.name, garbled, got, clean)
			}
			for _, cs2 := range charsets {
				twice := garble(garbled, cs2)
				if got, _ := RepairMojibake(twice); got != clean {
					t.Errorf("%s, then %s:\n  in   %q\n  got  %q\n  want %q", cs.name, cs2.name, twice, got, clean)
				}
			}
			// Only the second half of the line damaged.
			words := strings.Fields(clean)
			half := strings.Join(words[:len(words)/2], " ") + " " + garble(strings.Join(words[len(words)/2:], " "), cs)
			if got, _ := RepairMojibake(half); got != clean {
				t.Errorf("%s, second half:\n  in   %q\n  got  %q\n  want %q", cs.name, half, got, clean)
			}
		}
	}
}

func TestCleanTextNeverChanges(t *testing.T) {
	for _, s := range append(cleanTexts, corpus...) {
		if got, reps := RepairMojibake(s); got != s || len(reps) > 0 {
			t.Errorf("clean text changed:\n  in   %q\n  got  %q (%v)", s, got, reps)
		}
	}
	// A whole article of clean lines, and damaged lines that prove a
	// charset, together.
	for _, cs := range charsets {
		damaged := garble(corpus[0], cs) + "\n" + garble(corpus[1], cs)
		got, reps := RepairMojibake(strings.Join(cleanTexts, "\n") + "\n" + damaged)
		want := strings.Join(cleanTexts, "\n") + "\n" + corpus[0] + "\n" + corpus[1]
		if len(reps) == 0 || got != want {
			t.Errorf("mixed article, %s:\n%s", cs.name, got)
		}
	}
}

func FuzzRepairMojibake(f *testing.F) {
	for _, s := range append(cleanTexts, corpus...) {
		f.Add(s)
		f.Add(garble(s, charsets[0]))
	}
	for _, fx := range mojibakeFixtures(f) {
		for _, c := range fx.cases {
			f.Add(c.Garbled)
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		got, _ := RepairMojibake(s)
		if !utf8.ValidString(got) {
			t.Fatalf("invalid UTF-8 out of %q", s)
		}
		if again, reps := RepairMojibake(got); again != got && len(reps) == 0 {
			t.Fatalf("repairs unreported: %q -> %q", got, again)
		}
		ascii := true
		for _, r := range s {
			if r >= 0x80 {
				ascii = false
			}
		}
		if ascii && got != s {
			t.Fatalf("ASCII changed: %q -> %q", s, got)
		}
	})
}
