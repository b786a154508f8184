// Package strictbody is the bank's one decoding path for every request body it accepts
// (JR/T 0185-2020 7.2.2/1: 应对接口传输的数据进行有效性校验). A body is read exactly
// once, strictly, before any rule sees it:
//
//   - its Content-Type must be the one media type the interface takes (a charset
//     parameter, if any, must be utf-8), else 415 UNSUPPORTED_MEDIA_TYPE: a cross-site
//     form (enctype text/plain) cannot reach a JSON interface;
//   - it must be valid UTF-8;
//   - JSON: exactly one object and nothing after it, no key given twice at any level,
//     every key exactly a documented field name (case matters: "Amount" is not
//     "amount"), every value of the documented JSON type, at most MaxDepth levels deep;
//   - forms: only the documented fields, each at most once, valid percent-encoding.
//
// Refusals are 400 BODY_INVALID with a detail naming the field and the JSON kind
// expected — never an internal type name (7.1/7: 异常与调试信息不应泄漏……软硬件信息).
package strictbody

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/jr0185/harness/sandbox/internal/problem"
)

// Media types the bank accepts.
const (
	JSONType = "application/json"
	FormType = "application/x-www-form-urlencoded"
)

// MaxDepth is the deepest nesting of objects and arrays a JSON body may have.
const MaxDepth = 16

// MediaType checks a request's Content-Type against the one media type it must carry.
func MediaType(contentType, want string) error {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != want {
		got := "none"
		if strings.TrimSpace(contentType) != "" {
			got = problem.Clip(contentType)
		}
		return problem.UnsupportedMediaType.WithDetail("send Content-Type: %s (got %s)", want, got)
	}
	for k, v := range params {
		if k != "charset" || !strings.EqualFold(v, "utf-8") {
			return problem.UnsupportedMediaType.WithDetail("the only parameter %s takes is charset=utf-8", want)
		}
	}
	return nil
}

// JSON decodes a request body of media type application/json into v (a pointer to a
// struct) strictly; see the package comment.
func JSON(contentType string, body []byte, v any) error {
	if err := MediaType(contentType, JSONType); err != nil {
		return err
	}
	return DecodeJSON(body, v)
}

// DecodeJSON is JSON without the media-type check (for JSON carried inside another
// message, such as a payee envelope's plaintext).
func DecodeJSON(body []byte, v any) error {
	if !utf8.Valid(body) {
		return invalid("the body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	tree, err := readValue(dec, "", 0)
	if err != nil {
		return err
	}
	if _, ok := tree.(map[string]any); !ok {
		return invalid("the body must be one JSON object")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return invalid("the body must hold exactly one JSON object, with nothing after it")
	}
	if err := checkFields("", tree, reflect.TypeOf(v)); err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return typeError(err)
	}
	return nil
}

// readValue reads one JSON value token by token, refusing a key repeated in an object.
func readValue(dec *json.Decoder, path string, depth int) (any, error) {
	if depth > MaxDepth {
		return nil, invalid("the body is nested more than %d levels deep", MaxDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, invalid("the body is not well-formed JSON%s", at(path))
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			obj := map[string]any{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, invalid("the body is not well-formed JSON%s", at(path))
				}
				k, _ := kt.(string)
				if _, dup := obj[k]; dup {
					return nil, invalid("field %q is given more than once", problem.Clip(join(path, k)))
				}
				if obj[k], err = readValue(dec, join(path, k), depth+1); err != nil {
					return nil, err
				}
			}
			if _, err := dec.Token(); err != nil { // '}'
				return nil, invalid("the body is not well-formed JSON%s", at(path))
			}
			return obj, nil
		case '[':
			var arr []any
			for i := 0; dec.More(); i++ {
				v, err := readValue(dec, fmt.Sprintf("%s[%d]", path, i), depth+1)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			if _, err := dec.Token(); err != nil { // ']'
				return nil, invalid("the body is not well-formed JSON%s", at(path))
			}
			return arr, nil
		}
		return nil, invalid("the body is not well-formed JSON%s", at(path))
	default:
		return t, nil
	}
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// checkFields insists every object key of tree is exactly a field name of t's JSON
// form (encoding/json would match "Amount" to "amount" and drop unknown case variants
// silently).
func checkFields(path string, tree any, t reflect.Type) error {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || reflect.PointerTo(t).Implements(jsonUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler) {
		return nil // a type that decodes itself (time.Time, json.RawMessage, ...)
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := tree.(map[string]any)
		if !ok {
			return nil // a type mismatch: json.Unmarshal reports it with the field's path
		}
		fields := jsonFields(t)
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ft, ok := fields[k]
			if !ok {
				return unknownField(join(path, k), fields)
			}
			if err := checkFields(join(path, k), obj[k], ft); err != nil {
				return err
			}
		}
	case reflect.Map:
		if obj, ok := tree.(map[string]any); ok {
			for k, v := range obj {
				if err := checkFields(join(path, k), v, t.Elem()); err != nil {
					return err
				}
			}
		}
	case reflect.Slice, reflect.Array:
		if arr, ok := tree.([]any); ok {
			for i, v := range arr {
				if err := checkFields(fmt.Sprintf("%s[%d]", path, i), v, t.Elem()); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// jsonFields maps the JSON names of a struct's fields (embedded structs flattened, as
// encoding/json does) to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" && !strings.HasPrefix(tag, "-,") {
			continue
		}
		ft := f.Type
		if f.Anonymous && name == "" {
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range jsonFields(ft) {
					if _, shadowed := out[k]; !shadowed {
						out[k] = v
					}
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

func unknownField(path string, fields map[string]reflect.Type) error {
	_, last := splitLast(path)
	for k := range fields {
		if strings.EqualFold(k, last) {
			return invalid("unknown field %q: field names are case-sensitive (did you mean %q?)", problem.Clip(path), k)
		}
	}
	return invalid("unknown field %q", problem.Clip(path))
}

// typeError turns encoding/json's error (which names Go types) into the field's path
// and the JSON kind it must be.
func typeError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			return invalid("the body must be one JSON object")
		}
		return invalid("field %q must be %s, not %s", problem.Clip(field), jsonKind(te.Type), problem.Clip(te.Value))
	}
	return invalid("the body does not match the documented fields")
}

// jsonKind names the JSON kind that decodes into t.
func jsonKind(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "a JSON value"
	}
	if reflect.PointerTo(t).Implements(textUnmarshaler) {
		return "a string"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "a JSON value"
}

// Form decodes a request body of media type application/x-www-form-urlencoded strictly
// (RFC 6749 3.2 for the OAuth endpoints): only the allowed fields, each at most once.
func Form(contentType string, body []byte, allowed ...string) (url.Values, error) {
	if err := MediaType(contentType, FormType); err != nil {
		return nil, err
	}
	if !utf8.Valid(body) {
		return nil, invalid("the body is not valid UTF-8")
	}
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, invalid("the body is not valid application/x-www-form-urlencoded")
	}
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !contains(allowed, k) {
			return nil, invalid("unknown form field %q", problem.Clip(k))
		}
		if len(v[k]) != 1 {
			return nil, invalid("form field %q is given more than once", problem.Clip(k))
		}
		if !utf8.ValidString(v[k][0]) {
			return nil, invalid("form field %q is not valid UTF-8", problem.Clip(k))
		}
	}
	return v, nil
}

func invalid(format string, args ...any) error {
	return problem.BodyInvalid.WithDetail(format, args...)
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

func splitLast(path string) (string, string) {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[:i], path[i+1:]
	}
	return "", path
}

func at(path string) string {
	if path == "" {
		return ""
	}
	return " at " + problem.Clip(path)
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
