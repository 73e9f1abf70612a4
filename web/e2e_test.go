package web_test

import (
	"strings"
	"testing"
	"time"
)

const passField = `#signin-form input[name=passphrase]`

// TestBrowserSignIn: the link 'caravan open' opens signs in once; the
// passphrase signs in, and a wrong one is answered next to the field;
// the page speaks the browser's language until told otherwise.
func TestBrowserSignIn(t *testing.T) {
	tn := startNode(t, "ann")
	b := newBrowser(t)

	link := tn.Base + "/#code=" + tn.UI.MintCode()
	b.open(link)
	b.waitScreen("feed")
	var loc string
	b.evalInto(`location.href`, &loc)
	if strings.Contains(loc, "code=") {
		t.Errorf("the code stays in the address bar: %s", loc)
	}
	b.waitVisible("#top")
	b.shot("feed")

	// The same link again, in a browser that forgot the token.
	b.evalInto(`localStorage.removeItem('caravan.token')`, nil)
	end := b.allowErrors("status of 401") // the refused exchange
	b.open(link)
	b.waitScreen("signin")
	b.waitText("#signin-form .notice", "this sign-in link was used already or is too old")
	end()
	if b.text("#signin-form .notice") == "" || b.text("#signin-form h1") != "Sign in" {
		t.Errorf("sign-in page after a used link: %q", b.text("#signin-form"))
	}
	b.shot("signin-used-link")

	// A wrong passphrase: the API's words, next to the field.
	end = b.allowErrors("status of 403")
	b.typeInto(passField, "not my passphrase\n")
	b.waitText(`#signin-form [data-field=passphrase] .field-error`, "wrong passphrase")
	end()
	var invalid bool
	b.evalInto(`document.querySelector(`+jsString(passField)+`).getAttribute('aria-invalid') === 'true'`, &invalid)
	if !invalid {
		t.Error("the passphrase field is not marked invalid")
	}
	b.shot("signin-wrong-passphrase")
	b.shotPhone("signin-wrong-passphrase")

	// The right one, a second later (attempts are spaced).
	tn.Clock.Advance(time.Second)
	b.clearField(passField)
	b.typeInto(passField, testPassphrase+"\n")
	b.waitScreen("feed")
	b.waitVisible("#top")
	var token string
	b.evalInto(`localStorage.getItem('caravan.token')`, &token)
	if token != tn.Token {
		t.Errorf("token after passphrase sign-in: %q", token)
	}

	// A browser set up in Russian.
	ru := newBrowser(t, withLang("ru"))
	ru.open(tn.Base + "/")
	ru.waitScreen("signin")
	if got := ru.text("#signin-form h1"); got != "Вход" {
		t.Errorf("sign-in title in a Russian browser: %q", got)
	}
	var htmlLang string
	ru.evalInto(`document.documentElement.lang`, &htmlLang)
	if htmlLang != "ru" {
		t.Errorf("<html lang> %q", htmlLang)
	}
	ru.shot("signin-ru")
	ru.shotPhone("signin-ru")

	// Choosing English is remembered over the browser's language.
	ru.signIn(tn)
	ru.waitText("#nav", "Лента")
	ru.selectOption("#lang", "en")
	ru.waitText("#nav", "Feed")
	ru.waitText("#main h1", "Feed")
	ru.open(tn.Base + "/")
	ru.waitScreen("feed")
	ru.waitText("#nav", "Feed")
	ru.evalInto(`localStorage.removeItem('caravan.token')`, nil)
	ru.open(tn.Base + "/")
	ru.waitScreen("signin")
	if got := ru.text("#signin-form h1"); got != "Sign in" {
		t.Errorf("sign-in title after choosing English: %q", got)
	}
	ru.shot("signin-en-chosen")
}
