package site

import "strings"

// normLang returns a BCP 47 tag in lower case ("pt_BR" becomes "pt-br"),
// or "und" if s is empty or not shaped like a tag. Tags become directory
// and file names, so nothing else may pass.
func normLang(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.ReplaceAll(s, "_", "-")
	if s == "" || len(s) > 35 {
		return "und"
	}
	for i, part := range strings.Split(s, "-") {
		if !isAlnum(part) {
			return "und"
		}
		if i == 0 && (len(part) < 2 || len(part) > 3 || !isAlpha(part)) {
			return "und"
		}
		if i > 0 && (len(part) < 1 || len(part) > 8) {
			return "und"
		}
	}
	switch s {
	case "con", "prn", "aux", "nul":
		// Codes of small languages that Windows cannot use as a
		// directory name, on a USB stick or anywhere else.
		return "und"
	}
	return s
}

func isAlpha(s string) bool {
	for _, c := range []byte(s) {
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

func isAlnum(s string) bool {
	for _, c := range []byte(s) {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return s != ""
}

// rtl lists the languages written right to left, by primary subtag.
var rtl = map[string]bool{
	"ar": true, "arc": true, "ckb": true, "dv": true, "fa": true, "he": true,
	"iw": true, "ps": true, "sd": true, "syr": true, "ug": true, "ur": true, "yi": true,
}

// dir is the HTML dir attribute for text in lang. Text of unknown
// language gets "auto", which lets the browser look at its first letters.
func dir(lang string) string {
	if lang == "und" {
		return "auto"
	}
	primary, _, _ := strings.Cut(lang, "-")
	if rtl[primary] {
		return "rtl"
	}
	return "ltr"
}

// langNames are the names of languages in themselves, for the languages
// Caravan's users are most likely to write in; others show their code.
var langNames = map[string]string{
	"ar": "العربية", "az": "Azərbaycanca", "be": "Беларуская", "bn": "বাংলা",
	"de": "Deutsch", "en": "English", "es": "Español", "fa": "فارسی",
	"fr": "Français", "he": "עברית", "hi": "हिन्दी", "hy": "Հայերեն",
	"id": "Bahasa Indonesia", "it": "Italiano", "ja": "日本語", "ka": "ქართული",
	"kk": "Қазақша", "ko": "한국어", "ky": "Кыргызча", "my": "မြန်မာ",
	"nl": "Nederlands", "pl": "Polski", "ps": "پښتو", "pt": "Português",
	"ro": "Română", "ru": "Русский", "sw": "Kiswahili", "tg": "Тоҷикӣ",
	"th": "ไทย", "tk": "Türkmençe", "tr": "Türkçe", "ug": "ئۇيغۇرچە",
	"uk": "Українська", "ur": "اردو", "uz": "Oʻzbekcha", "vi": "Tiếng Việt",
	"zh": "中文",
}

// langName is the name of a language in itself, or its code if this
// package does not know it.
func langName(lang string) string {
	if lang == "und" {
		return "Language not given"
	}
	primary, _, _ := strings.Cut(lang, "-")
	if n, ok := langNames[primary]; ok {
		return n
	}
	return lang
}
