package publish

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// The shared fixture (a copy of shared/fixtures/mojibake/cases.json).
func TestMojibakeFixtures(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "mojibake-cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct{ Garbled, Expected, How string }
	if err := json.Unmarshal(b, &cases); err != nil || len(cases) == 0 {
		t.Fatalf("fixture: %v", err)
	}
	for _, c := range cases {
		got, reps := RepairMojibake(c.Garbled)
		if got != c.Expected {
			t.Errorf("%s:\n  in   %q\n  got  %q\n  want %q", c.How, c.Garbled, got, c.Expected)
		}
		if (c.Garbled == c.Expected) != (len(reps) == 0) {
			t.Errorf("%s: %d repairs reported", c.How, len(reps))
		}
	}
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
			twice := garble(garbled, cs)
			if got, _ := RepairMojibake(twice); got != clean {
				t.Errorf("%s twice:\n  in   %q\n  got  %q\n  want %q", cs.name, twice, got, clean)
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
	// A whole article of clean lines, and a garbled article, together.
	doc := strings.Join(append(cleanTexts, garble(corpus[0], charsets[0])), "\n")
	got, reps := RepairMojibake(doc)
	if len(reps) == 0 || !strings.HasSuffix(got, corpus[0]) || !strings.HasPrefix(got, strings.Join(cleanTexts, "\n")) {
		t.Fatalf("mixed article:\n%s", got)
	}
}

func FuzzRepairMojibake(f *testing.F) {
	for _, s := range append(cleanTexts, corpus...) {
		f.Add(s)
		f.Add(garble(s, charsets[0]))
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
