package phone

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"

	"golang.org/x/text/language"
)

// The page at "/" while the phone page is off: what this address is, that
// the phone page is off and how the person running the node turns it on,
// and where to download Caravan. No script, no outside resources.

type offTexts struct {
	Code, Node, Relay, Off, HowTo, Config, Apps string
}

var offLangs = []offTexts{
	{
		Code:   "en",
		Node:   "This is a Caravan node.",
		Relay:  "Nostr apps can use it as a relay at",
		Off:    "The phone page, where people join from a phone's browser with nothing to install, is turned off on this node.",
		HowTo:  "The person running this node can turn it on by starting it with",
		Config: "or by setting this in the node's config.json:",
		Apps:   "Download Caravan for a computer or a phone",
	},
	{
		Code:   "es",
		Node:   "Este es un nodo de Caravan.",
		Relay:  "Las aplicaciones de Nostr pueden usarlo como relé en",
		Off:    "La página para teléfonos, donde la gente se une desde el navegador del teléfono sin instalar nada, está desactivada en este nodo.",
		HowTo:  "Quien administra este nodo puede activarla iniciándolo con",
		Config: "o poniendo esto en el config.json del nodo:",
		Apps:   "Descargar Caravan para una computadora o un teléfono",
	},
	{
		Code:   "ru",
		Node:   "Это узел Caravan.",
		Relay:  "Приложения Nostr могут использовать его как ретранслятор по адресу",
		Off:    "Страница для телефонов, через которую люди подключаются из браузера телефона, ничего не устанавливая, на этом узле выключена.",
		HowTo:  "Тот, кто запустил этот узел, может включить её, запустив узел командой",
		Config: "или указав в файле config.json узла:",
		Apps:   "Скачать Caravan для компьютера или телефона",
	},
	{
		Code:   "kk",
		Node:   "Бұл — Caravan түйіні.",
		Relay:  "Nostr қолданбалары оны релей ретінде мына мекенжайда қолдана алады:",
		Off:    "Адамдар ештеңе орнатпай-ақ телефон браузерінен қосылатын телефон беті бұл түйінде өшірулі.",
		HowTo:  "Бұл түйінді іске қосқан адам оны мына командамен іске қосып, бетті қоса алады:",
		Config: "немесе түйіннің config.json файлына мынаны жазып:",
		Apps:   "Caravan-ды компьютерге не телефонға жүктеп алу",
	},
}

var offMatcher = language.NewMatcher([]language.Tag{language.English, language.Spanish, language.Russian, language.Kazakh})

// offLang is the best match of the request's Accept-Language, else
// English.
func offLang(r *http.Request) offTexts {
	tags, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if err != nil || len(tags) == 0 {
		return offLangs[0]
	}
	_, i, conf := offMatcher.Match(tags...)
	if conf == language.No {
		return offLangs[0]
	}
	return offLangs[i]
}

const offStyle = `body{font-family:system-ui,sans-serif;line-height:1.45;max-width:40em;margin:0 auto;padding:.5em 1em 2em;font-size:1.05em}` +
	`code{font-family:ui-monospace,monospace;overflow-wrap:anywhere;background:#f3f3f3;padding:0 .2em}` +
	`a{display:inline-block;padding:.6em 0;font-size:1.1em}`

var offStyleHash = func() string {
	sum := sha256.Sum256([]byte(offStyle))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}()

var offTmpl = template.Must(template.New("off").Parse(`<!doctype html>
<html lang="{{.T.Code}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{.Name}}</title>
<style>{{.Style}}</style>
</head>
<body>
<h1>{{.Name}}</h1>
<p>{{.T.Node}} {{.T.Relay}} <code>ws://{{.Host}}/</code></p>
<p id="phone-off">{{.T.Off}}</p>
<p>{{.T.HowTo}} <code>caravan serve --community</code> {{.T.Config}} <code>"phone_page": true</code></p>
<p><a href="/apps/">{{.T.Apps}}</a></p>
</body>
</html>
`))

func serveOff(w http.ResponseWriter, r *http.Request, name string) {
	t := offLang(r)
	var b bytes.Buffer
	err := offTmpl.Execute(&b, struct {
		T          offTexts
		Name, Host string
		Style      template.CSS
	}{t, name, r.Host, template.CSS(offStyle)})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", t.Code)
	h.Set("Vary", "Accept-Language")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src "+offStyleHash+"; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	h.Set("Content-Length", fmt.Sprint(b.Len()))
	if r.Method == http.MethodHead {
		return
	}
	w.Write(b.Bytes())
}
