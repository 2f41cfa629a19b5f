package article

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzDecodeArticle(f *testing.F) {
	good, _ := json.Marshal(validRaw())
	f.Add(good)
	f.Add([]byte(`{"schema_version":1}`))
	f.Add([]byte(`{"body":"\u0000"}`))
	f.Add([]byte("{\"body\":\"\xff\"}"))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := DecodeRaw(data)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %v is not a *DecodeError", err)
			}
			return
		}
		// Whatever decodes must satisfy the contract and survive a round trip.
		if !ValidID(a.ID) || !utf8.ValidString(a.Body) || a.Body == "" {
			t.Fatalf("accepted an invalid article: %+v", a)
		}
		again, err := Encode(a)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := DecodeRaw(again); err != nil {
			t.Fatalf("re-encoded article does not decode: %v", err)
		}
	})
}

func FuzzParseSample(f *testing.F) {
	f.Add([]byte(" date 2020-09 Een lening.\n\nKop\n\nTekst."))
	f.Add([]byte("date 2020"))
	f.Add([]byte("\uFEFF\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseSample(data)
		if err != nil {
			return
		}
		if len(s.Paragraphs) == 0 {
			t.Fatal("accepted a sample without paragraphs")
		}
		for _, p := range s.Paragraphs {
			if p.Text == "" || !utf8.ValidString(p.Text) {
				t.Fatalf("bad paragraph %q", p.Text)
			}
		}
		if s.Published != "" {
			if _, _, err := ParseDate(s.Published); err != nil {
				t.Fatalf("published %q does not parse: %v", s.Published, err)
			}
		}
		// Parsing the rendered sample gives the same body.
		again, err := ParseSample([]byte(s.String()))
		if err != nil || again.Body() != s.Body() {
			t.Fatalf("round trip changed the body: %v", err)
		}
	})
}

func FuzzDecodeEnriched(f *testing.F) {
	e := Enriched{Raw: validRaw(), Enrichment: Enrichment{Version: "1.2.0", Language: &Language{Code: "nl", Confidence: 0.9},
		Entities: []Entity{{Span: Span{Field: "body", Start: 0, End: 4, Text: "Body"}, Type: PER}}}}
	good, _ := json.Marshal(e)
	f.Add(good)
	f.Add([]byte(`{"schema_version":1,"enrichment":{"version":"x"}}`))
	f.Add([]byte(`{"enrichment":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := DecodeEnriched(data)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %v is not a *DecodeError", err)
			}
			return
		}
		if _, err := ParseVersion(a.Enrichment.Version); err != nil {
			t.Fatalf("accepted a bad version %q", a.Enrichment.Version)
		}
		again, err := Encode(a)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := DecodeEnriched(again); err != nil {
			t.Fatalf("re-encoded article does not decode: %v", err)
		}
	})
}

// FuzzDecoderMatchesStd checks the decoder against encoding/json: the same
// inputs are refused, and what both accept decodes to the same article.
func FuzzDecoderMatchesStd(f *testing.F) {
	e := Enriched{Raw: validRaw(), Enrichment: Enrichment{Version: "1.2.0", Language: &Language{Code: "nl", Confidence: 0.9},
		Entities:  []Entity{{Span: Span{Field: "body", Start: 0, End: 4, Text: "Body"}, Type: PER, Confidence: 0.75}},
		Date:      &Date{Published: "2020-09-05", Precision: "day", Source: "header"},
		Sentiment: &Sentiment{Score: -0.25, Label: "negative"}}}
	good, _ := json.Marshal(e)
	f.Add(good)
	f.Add([]byte(`{"schema_version":1,"Body":"x","BODY":"y"}`))
	f.Add([]byte(`{"schema_version":1.5}`))
	f.Add([]byte(`{"schema_version":1e400}`))
	f.Add([]byte(`{"body":"\ud800"}`))
	f.Add([]byte(`{"enrichment":{"entities":[{"start":-1,"end":"2"}]}}`))
	f.Add([]byte(`{"ingested_at":"2026-13-01T00:00:00Z"}`))
	f.Add([]byte(`{"title":"a"} x`))
	f.Add([]byte(`{"body":"a\b"}`))
	f.Add([]byte(`{"x":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `,"title":"[\"[{"}`))
	f.Add([]byte(`{"x":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var ours, std Enriched
		errOurs := decodeJSON(data, &ours)
		if len(data) > MaxMessageBytes || !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 {
			return // refused before decoding
		}
		errStd := json.Unmarshal(data, &std)
		if (errOurs == nil) != (errStd == nil) {
			t.Fatalf("decoder error %v, encoding/json error %v", errOurs, errStd)
		}
		if errOurs == nil && !reflect.DeepEqual(ours, std) {
			t.Fatalf("decoded differently:\n%+v\n%+v", ours, std)
		}
	})
}
