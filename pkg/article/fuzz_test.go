package article

import (
	"encoding/json"
	"errors"
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
