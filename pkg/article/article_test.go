package article

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func validRaw() Raw {
	return Raw{
		SchemaVersion: SchemaVersion,
		ID:            ID("", "", "", "t", "b"),
		Source:        Source{Type: "file", Name: "samples", URI: "file:samples/a.txt"},
		Body:          "Body text.",
		Published:     "2020-09",
		IngestedAt:    time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC),
	}
}

func TestDecodeRaw(t *testing.T) {
	good, _ := json.Marshal(validRaw())
	with := func(f func(m map[string]any)) []byte {
		var m map[string]any
		_ = json.Unmarshal(good, &m)
		f(m)
		b, _ := json.Marshal(m)
		return b
	}
	tests := []struct {
		name  string
		input []byte
		want  error
		field string
	}{
		{name: "valid", input: good},
		{name: "missing body", input: with(func(m map[string]any) { delete(m, "body") }), want: ErrMissingBody, field: "body"},
		{name: "blank body", input: with(func(m map[string]any) { m["body"] = " \n\t" }), want: ErrMissingBody, field: "body"},
		{name: "escaped NUL in body", input: with(func(m map[string]any) { m["body"] = "a\x00b" }), want: ErrNUL, field: "body"},
		{name: "raw NUL byte", input: append([]byte(`{"body":"a`), 0, '"', '}'), want: ErrNUL},
		{name: "invalid UTF-8", input: []byte("{\"body\":\"\xff\xfe\"}"), want: ErrInvalidUTF8},
		{name: "over-size", input: []byte(`{"body":"` + strings.Repeat("a", MaxMessageBytes) + `"}`), want: ErrTooLarge},
		{name: "body over its cap", input: with(func(m map[string]any) { m["body"] = strings.Repeat("a", MaxBodyBytes+1) }), want: ErrTooLarge, field: "body"},
		{name: "schema version 2", input: with(func(m map[string]any) { m["schema_version"] = 2 }), want: ErrSchemaVersion, field: "schema_version"},
		{name: "schema version missing", input: with(func(m map[string]any) { delete(m, "schema_version") }), want: ErrSchemaVersion},
		{name: "bad id", input: with(func(m map[string]any) { m["id"] = "ABC" }), want: ErrInvalidID, field: "id"},
		{name: "wrong type", input: with(func(m map[string]any) { m["body"] = 12 }), want: ErrInvalidField, field: "body"},
		{name: "truncated", input: good[:len(good)/2], want: ErrMalformed},
		{name: "trailing data", input: append(append([]byte{}, good...), []byte(` {}`)...), want: ErrMalformed},
		{name: "nested too deep in an unknown field", input: append([]byte(`{"x":`+strings.Repeat("[", 10001)+strings.Repeat("]", 10001)+`,`), good[1:]...), want: ErrMalformed},
		{name: "bad published", input: with(func(m map[string]any) { m["published"] = "14/09/2020" }), want: ErrDate, field: "published"},
		{name: "no source type", input: with(func(m map[string]any) { m["source"] = map[string]any{} }), want: ErrInvalidField, field: "source.type"},
		{name: "no ingested_at", input: with(func(m map[string]any) { delete(m, "ingested_at") }), want: ErrInvalidField, field: "ingested_at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeRaw(tt.input)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("DecodeRaw: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("DecodeRaw error = %v, want %v", err, tt.want)
			}
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %T is not a *DecodeError", err)
			}
			if tt.field != "" && de.Field != tt.field {
				t.Errorf("field = %q, want %q", de.Field, tt.field)
			}
			if Reason(err) == "invalid" {
				t.Errorf("Reason(%v) has no specific reason", err)
			}
		})
	}
}

func TestDecodeEnrichedRoundTrip(t *testing.T) {
	e := Enriched{Raw: validRaw(), Enrichment: Enrichment{
		Version:  "1.2.3",
		Language: &Language{Code: "nl", Confidence: 0.99},
	}}
	data, err := Encode(e)
	if err != nil {
		t.Fatal(err)
	}
	for _, absent := range []string{`"entities"`, `"sentiment"`, `"date"`} {
		if strings.Contains(string(data), absent) {
			t.Errorf("untagged field %s is present: %s", absent, data)
		}
	}
	got, err := DecodeEnriched(data)
	if err != nil {
		t.Fatal(err)
	}
	if got.Enrichment.Language.Code != "nl" || got.Body != e.Body {
		t.Errorf("round trip lost data: %+v", got)
	}
	e.Enrichment.Entities = []Entity{}
	data, _ = Encode(e)
	if !strings.Contains(string(data), `"entities":[]`) {
		t.Errorf("a tagger that found nothing must say so: %s", data)
	}
	e.Enrichment.Version = "v1"
	data, _ = json.Marshal(e)
	if _, err := DecodeEnriched(data); !errors.Is(err, ErrInvalidField) {
		t.Errorf("bad version accepted: %v", err)
	}
}

func TestID(t *testing.T) {
	tests := []struct {
		name string
		a, b [5]string // url, feed, guid, title, body
		same bool
	}{
		{"utm and fragment ignored", [5]string{"https://Example.com/a?id=1&utm_source=x#top"}, [5]string{"https://example.com/a?id=1"}, true},
		{"default port and query order", [5]string{"https://example.com:443/a?b=2&a=1"}, [5]string{"https://example.com/a?a=1&b=2"}, true},
		{"paths differ", [5]string{"https://example.com/a"}, [5]string{"https://example.com/b"}, false},
		{"url wins over guid", [5]string{"https://example.com/a", "https://f/", "g1"}, [5]string{"https://example.com/a", "https://f/", "g2"}, true},
		{"guid qualified by feed", [5]string{"", "https://f1/", "g"}, [5]string{"", "https://f2/", "g"}, false},
		{"text normalised", [5]string{"", "", "", "Title", "Some  body\ntext"}, [5]string{"", "", "", "title", "some body text"}, true},
		{"non-http url falls back", [5]string{"mailto:x@y", "", "", "", "body"}, [5]string{"", "", "", "", "body"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := ID(tt.a[0], tt.a[1], tt.a[2], tt.a[3], tt.a[4])
			b := ID(tt.b[0], tt.b[1], tt.b[2], tt.b[3], tt.b[4])
			if !ValidID(a) {
				t.Fatalf("ID %q is not valid", a)
			}
			if (a == b) != tt.same {
				t.Errorf("ids %s and %s: same = %v, want %v", a, b, a == b, tt.same)
			}
		})
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in, want string
		p        Precision
		bad      bool
	}{
		{in: "2020", want: "2020", p: PrecisionYear},
		{in: "2020-09", want: "2020-09", p: PrecisionMonth},
		{in: "2020-09-14", want: "2020-09-14", p: PrecisionDay},
		{in: "2020-09-14T15:00", want: "2020-09-14T15:00", p: PrecisionMinute},
		{in: "2020-09-14T15:00:05+02:00", want: "2020-09-14T13:00:05Z", p: PrecisionSecond},
		{in: "2020-09-14T15:00:05.123Z", want: "2020-09-14T15:00:05Z", p: PrecisionSecond},
		{in: "2020-13", bad: true},
		{in: "Mon, 14 Sep 2020", bad: true},
		{in: "", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, p, err := ParseDate(tt.in)
			if tt.bad {
				if !errors.Is(err, ErrDate) {
					t.Fatalf("ParseDate(%q) error = %v, want ErrDate", tt.in, err)
				}
				return
			}
			if err != nil || got != tt.want || p != tt.p {
				t.Errorf("ParseDate(%q) = %q, %q, %v; want %q, %q", tt.in, got, p, err, tt.want, tt.p)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	a, _ := ParseVersion("1.10.0")
	b, _ := ParseVersion("1.9.3")
	if a.Compare(b) != 1 || b.Compare(a) != -1 || a.Compare(a) != 0 || a.Ordinal() <= b.Ordinal() {
		t.Errorf("1.10.0 must be newer than 1.9.3")
	}
	for _, bad := range []string{"1.0", "1.0.x", "01.0.0", "-1.0.0", ""} {
		if _, err := ParseVersion(bad); err == nil {
			t.Errorf("ParseVersion(%q) accepted", bad)
		}
	}
}

func TestParseSample(t *testing.T) {
	tests := []struct {
		name        string
		in          string
		published   string
		paragraphs  int
		subheadings []int
		wantErr     error
	}{
		{name: "header on the first line", in: " date 2020-09 First sentence.\n\nSubheading here\n\nSecond one.", published: "2020-09", paragraphs: 3, subheadings: []int{1}},
		{name: "full date", in: "date 2020-09-14\nBody.", published: "2020-09-14", paragraphs: 1},
		{name: "no header", in: "Just a body.", paragraphs: 1},
		{name: "CRLF and BOM", in: "\uFEFFdate 2021 A.\r\n\r\nB.", published: "2021", paragraphs: 2},
		{name: "bad date", in: "date 2020-99 Body.", wantErr: ErrDate},
		{name: "empty body", in: "date 2020-09   \n\n", wantErr: ErrEmptySample},
		{name: "invalid UTF-8", in: "date 2020 \xff", wantErr: ErrInvalidUTF8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseSample([]byte(tt.in))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Published != tt.published || len(s.Paragraphs) != tt.paragraphs {
				t.Fatalf("got published %q and %d paragraphs, want %q and %d", s.Published, len(s.Paragraphs), tt.published, tt.paragraphs)
			}
			var subs []int
			for i, p := range s.Paragraphs {
				if p.Subheading {
					subs = append(subs, i)
				}
			}
			if len(subs) != len(tt.subheadings) || (len(subs) > 0 && subs[0] != tt.subheadings[0]) {
				t.Errorf("subheadings at %v, want %v", subs, tt.subheadings)
			}
		})
	}
}

// The shared sample article is someone else's text: read it where it lives.
func TestParseSharedSample(t *testing.T) {
	paths, _ := filepath.Glob("../../../shared/samples/*.txt")
	if len(paths) == 0 {
		t.Skip("../shared/samples is not present on this machine")
	}
	data, err := os.ReadFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseSample(data)
	if err != nil {
		t.Fatal(err)
	}
	if s.Published != "2020-09" {
		t.Errorf("published = %q, want 2020-09", s.Published)
	}
	if !strings.HasPrefix(s.Paragraphs[0].Text, "Een lening") {
		t.Errorf("body starts %q", s.Paragraphs[0].Text[:20])
	}
	var sub []string
	for _, p := range s.Paragraphs {
		if p.Subheading {
			sub = append(sub, p.Text)
		}
	}
	if len(sub) == 0 || sub[0] != "Maandelijks gezamenlijke militaire oefeningen" {
		t.Errorf("subheadings = %q", sub)
	}
}
