package localapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
)

// Route is one JSON endpoint of the API: its method, its path, and the
// types of its request and answer. Each endpoint is declared once, as a
// package-level var in its feature's file; the server serves it with
// handle and every client calls it with Call, so the route table, the
// handler's decoding and the client method are one thing.
//
// A POST route's request is its JSON body (a json.RawMessage request is
// the body as sent, unchecked). A GET route's request is its query
// string: the request type's fields tagged `query:"name"` (see
// encodeQuery). The answer is JSON; a nil slice is sent as [].
type Route[Req, Resp any] struct {
	Method, Path string
}

// Empty is the request or answer of a route that has none: {} (no
// parameters for a GET).
type Empty struct{}

// pattern is the route's pattern for http.ServeMux.
func (rt Route[Req, Resp]) pattern() string { return rt.Method + " " + rt.Path }

// handle serves rt on h's mux with f.
func handle[Req, Resp any](h *Handler, rt Route[Req, Resp], f func(context.Context, Req) (Resp, error)) {
	h.patterns = append(h.patterns, rt.pattern())
	h.mux.HandleFunc(rt.pattern(), func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		var req Req
		if err := decodeRequest(r, &req); err != nil {
			writeError(w, toAPIError(err))
			return
		}
		resp, err := f(r.Context(), req)
		if err != nil {
			writeError(w, toAPIError(err))
			return
		}
		writeJSON(w, resp)
	})
}

// Call makes one call of rt with req and returns the node's answer; the
// error, when the node refused, is an *Error.
func Call[Req, Resp any](ctx context.Context, c *Client, rt Route[Req, Resp], req Req) (Resp, error) {
	var out Resp
	path := rt.Path
	var (
		body   io.Reader
		header http.Header
	)
	if rt.Method == http.MethodGet {
		if q := encodeQuery(req); len(q) > 0 {
			path += "?" + q.Encode()
		}
	} else {
		b, err := json.Marshal(req)
		if err != nil {
			return out, err
		}
		body, header = bytes.NewReader(b), http.Header{"Content-Type": {"application/json"}}
	}
	resp, err := c.send(ctx, rt.Method, path, body, header)
	if err != nil {
		return out, err
	}
	defer resp.Body.Close()
	return out, decodeResponse(resp, &out)
}

var rawType = reflect.TypeOf(json.RawMessage(nil))

// decodeRequest reads a route's request: the query of a GET, the JSON
// body of anything else.
func decodeRequest(r *http.Request, v any) error {
	if r.Method == http.MethodGet {
		return decodeQuery(r.URL.Query(), v)
	}
	if raw, ok := v.(*json.RawMessage); ok {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return &Error{Code: CodeInvalid, Msg: "request body: " + err.Error()}
		}
		*raw = b
		return nil
	}
	return decodeBody(r, v)
}

func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		return &Error{Code: CodeInvalid, Msg: "request body: " + err.Error()}
	}
	return nil
}

// writeJSON writes an answer; a nil slice as [], which clients can range
// over without a check.
func writeJSON(w http.ResponseWriter, v any) {
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Slice && rv.IsNil() && rv.Type() != rawType {
		v = []struct{}{}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// The query string of a GET route is its request struct's fields tagged
// `query:"name"`, of these kinds: string (or a named string type), bool
// ("1" when true; "1" or "true" read as true), int, []string and []int
// (the parameter repeated). Zero values are left out. Untagged fields and
// unknown parameters are ignored.

// encodeQuery is the query string of a GET route's request.
func encodeQuery(req any) url.Values {
	v := url.Values{}
	rv := reflect.ValueOf(req)
	if rv.Kind() != reflect.Struct {
		return v
	}
	for i := 0; i < rv.NumField(); i++ {
		name := rv.Type().Field(i).Tag.Get("query")
		if name == "" {
			continue
		}
		f := rv.Field(i)
		switch f.Kind() {
		case reflect.String:
			if f.String() != "" {
				v.Set(name, f.String())
			}
		case reflect.Bool:
			if f.Bool() {
				v.Set(name, "1")
			}
		case reflect.Int:
			if f.Int() != 0 {
				v.Set(name, strconv.FormatInt(f.Int(), 10))
			}
		case reflect.Slice:
			for j := 0; j < f.Len(); j++ {
				switch e := f.Index(j); e.Kind() {
				case reflect.String:
					v.Add(name, e.String())
				case reflect.Int:
					v.Add(name, strconv.FormatInt(e.Int(), 10))
				}
			}
		}
	}
	return v
}

// decodeQuery fills the tagged fields of the struct v points to from q.
func decodeQuery(q url.Values, v any) error {
	rv := reflect.ValueOf(v).Elem()
	if rv.Kind() != reflect.Struct {
		return nil
	}
	for i := 0; i < rv.NumField(); i++ {
		name := rv.Type().Field(i).Tag.Get("query")
		if name == "" || len(q[name]) == 0 {
			continue
		}
		f := rv.Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString(q.Get(name))
		case reflect.Bool:
			f.SetBool(q.Get(name) == "1" || q.Get(name) == "true")
		case reflect.Int:
			n, err := strconv.Atoi(q.Get(name))
			if err != nil {
				return &Error{Code: CodeInvalid, Msg: name + " must be a number"}
			}
			f.SetInt(int64(n))
		case reflect.Slice:
			s := reflect.MakeSlice(f.Type(), 0, len(q[name]))
			for _, x := range q[name] {
				e := reflect.New(f.Type().Elem()).Elem()
				switch e.Kind() {
				case reflect.String:
					e.SetString(x)
				case reflect.Int:
					n, err := strconv.Atoi(x)
					if err != nil {
						return &Error{Code: CodeInvalid, Msg: name + " must be a number"}
					}
					e.SetInt(int64(n))
				default:
					return fmt.Errorf("localapi: query field %s: unsupported type %s", name, f.Type())
				}
				s = reflect.Append(s, e)
			}
			f.Set(s)
		default:
			return fmt.Errorf("localapi: query field %s: unsupported type %s", name, f.Type())
		}
	}
	return nil
}
