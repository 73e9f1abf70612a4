package poster

import "strings"

// Langs are the poster's languages, in the order it shows them.
var Langs = []string{"en", "es", "ru", "kk"}

// words are one language's lines. In Address, {url} stands for the
// address; in Invite, {code} for the invitation code.
type words struct {
	// Join says what to do: the line a passer-by reads first.
	Join string
	// What says what it is, and that it works without the internet.
	What string
	// Address is for a phone whose camera app reads no QR codes.
	Address string
	// Invite gives the invitation code, when the node asks for one.
	Invite string
}

// catalogue is every word the poster says, in each of Langs: the picture,
// the printable page and the terminal all read it. Names are not
// translated: Caravan is Caravan in every language.
var catalogue = map[string]words{
	"en": {
		Join:    "Join with your phone's browser: scan this code.",
		What:    "Caravan: private messages and news, even without the internet.",
		Address: "Or type this address: {url}",
		Invite:  "Invitation code: {code}",
	},
	"es": {
		Join:    "Únete con el navegador del teléfono: escanea este código.",
		What:    "Caravan: mensajes privados y noticias, incluso sin internet.",
		Address: "O escribe esta dirección: {url}",
		Invite:  "Código de invitación: {code}",
	},
	"ru": {
		Join:    "Подключитесь через браузер телефона: отсканируйте этот код.",
		What:    "Caravan: личные сообщения и новости, даже без интернета.",
		Address: "Или введите адрес: {url}",
		Invite:  "Код приглашения: {code}",
	},
	"kk": {
		Join:    "Телефон браузері арқылы қосылыңыз: осы кодты сканерлеңіз.",
		What:    "Caravan: жеке хабарлар мен жаңалықтар, интернетсіз де.",
		Address: "Немесе мекенжайды теріңіз: {url}",
		Invite:  "Шақыру коды: {code}",
	},
}

// Lines are the poster's lines in lang (one of Langs; English for any
// other): what to do, what it is, the address, and the invitation code
// when there is one.
func (p Poster) Lines(lang string) []string {
	w, ok := catalogue[lang]
	if !ok {
		w = catalogue["en"]
	}
	lines := []string{w.Join, w.What, strings.ReplaceAll(w.Address, "{url}", p.URL)}
	if p.Invite != "" {
		lines = append(lines, strings.ReplaceAll(w.Invite, "{code}", p.Invite))
	}
	return lines
}
