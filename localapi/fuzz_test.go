package localapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"testing"
)

// FuzzDecodeBody reads the JSON body of local API requests (from the CLI,
// the web page, or anything else on this machine that has the token): a
// body is read into its request or refused as invalid with words saying
// why, and what is read writes back as JSON that reads again.
func FuzzDecodeBody(f *testing.F) {
	for _, s := range []string{
		`{"kind":1,"content":"Salem","tags":[["t","almaty"]]}`, `{"url":"ws://10.0.0.2:7447","relay":true}`,
		`{"filters":[{"kinds":[1],"limit":20,"#t":["news"]}]}`, `{"name":"me","passphrase":"pw"}`,
		`{"as":"","to":["npub1"],"text":"hi","files":[]}`, `{"as":"me","markdown":"# title","lang":"kk"}`,
		`{}`, ``, `null`, `[]`, `{"kind":"one"}`, `{"unknown":1}`, `{"kind":1} {"kind":2}`, `{"filters":[{"since":-1}]}`,
	} {
		for kind := range byte(8) {
			f.Add(kind, []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, kind byte, body []byte) {
		var v any
		switch kind % 8 {
		case 0:
			v = new(PostRequest)
		case 1:
			v = new(SyncRequest)
		case 2:
			v = new(QueryRequest)
		case 3:
			v = new(ImportRequest)
		case 4:
			v = new(DMRequest)
		case 5:
			v = new(ReportRequest)
		case 6:
			v = new(PersonRequest)
		case 7:
			v = new(FollowRequest)
		}
		err := decodeBody(httptest.NewRequest("POST", "/api/v1/x", bytes.NewReader(body)), v)
		if err != nil {
			var ae *Error
			if !errors.As(err, &ae) || ae.Code != CodeInvalid || ae.Msg == "" {
				t.Fatalf("refused with %#v", err)
			}
			return
		}
		again, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("%s read as %+v, which does not write back: %v", body, v, err)
		}
		if err := decodeBody(httptest.NewRequest("POST", "/api/v1/x", bytes.NewReader(again)), v); err != nil {
			t.Fatalf("%s read, written back as %s, does not read again: %v", body, again, err)
		}
	})
}
