package sentiment

import (
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func texts(text string, ss []Sentence) []string {
	var out []string
	for _, s := range ss {
		out = append(out, text[s.Start:s.End])
	}
	return out
}

func TestSplit(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"two sentences", "The plan failed. Critics were right.", []string{"The plan failed.", "Critics were right."}},
		{"question and exclamation", "Why now? Because it works! Fine.", []string{"Why now?", "Because it works!", "Fine."}},
		{"abbreviations", "Mr. Smith met Dr. Jones in the U.S. yesterday. They talked.", []string{"Mr. Smith met Dr. Jones in the U.S. yesterday.", "They talked."}},
		{"initials", "J. R. R. Tolkien wrote it. Others followed.", []string{"J. R. R. Tolkien wrote it.", "Others followed."}},
		{"decimal numbers", "Prices rose 2.9 percent. Wages did not.", []string{"Prices rose 2.9 percent.", "Wages did not."}},
		{"quotation closes the sentence", "He said: “It is over.” Then he left.", []string{"He said: “It is over.”", "Then he left."}},
		{"quotation inside a sentence", "“Je leert een vriend pas kennen als je in de problemen raakt”, sprak hij. Daarna vertrok hij.", []string{"“Je leert een vriend pas kennen als je in de problemen raakt”, sprak hij.", "Daarna vertrok hij."}},
		{"lower case after period", "See e.g. the report. It is long.", []string{"See e.g. the report.", "It is long."}},
		{"dutch abbreviation", "Dhr. Jansen zei nee. Mevr. De Vries ja.", []string{"Dhr. Jansen zei nee.", "Mevr. De Vries ja."}},
		{"spanish inverted marks", "¿Por qué ahora? ¡Porque sí! Bien.", []string{"¿Por qué ahora?", "¡Porque sí!", "Bien."}},
		{"paragraphs never share a sentence", "First paragraph without end\n\nSecond one.", []string{"First paragraph without end", "Second one."}},
		{"ellipsis", "We waited… Nothing came.", []string{"We waited…", "Nothing came."}},
		{"empty", "  \n\n  ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := texts(tt.text, Split(tt.text))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Split(%q)\n got %q\nwant %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestSplitSubheadings(t *testing.T) {
	text := "The body starts here. It goes on.\n\nA subheading\n\nMore body."
	ss := Split(text)
	var heads []string
	for _, s := range ss {
		if s.Subheading {
			heads = append(heads, text[s.Start:s.End])
		}
	}
	if !reflect.DeepEqual(heads, []string{"A subheading"}) {
		t.Errorf("subheadings = %q, want [\"A subheading\"]", heads)
	}
}

// checkSpans verifies the splitter's invariants: spans in order, inside the
// text, on rune boundaries, trimmed, non-empty, not crossing a blank line,
// and covering every non-space character.
func checkSpans(t *testing.T, text string, ss []Sentence) {
	t.Helper()
	prev := 0
	for i, s := range ss {
		if s.Start < prev || s.End <= s.Start || s.End > len(text) {
			t.Fatalf("span %d [%d,%d) out of order or bounds (prev end %d, len %d)", i, s.Start, s.End, prev, len(text))
		}
		if !utf8.RuneStart(text[s.Start]) || (s.End < len(text) && !utf8.RuneStart(text[s.End])) {
			t.Fatalf("span %d [%d,%d) not on rune boundaries", i, s.Start, s.End)
		}
		part := text[s.Start:s.End]
		if strings.TrimSpace(part) != part && utf8.ValidString(part) {
			r, _ := utf8.DecodeRuneInString(part)
			l, _ := utf8.DecodeLastRuneInString(part)
			if unicode.IsSpace(r) || unicode.IsSpace(l) {
				t.Fatalf("span %d %q not trimmed", i, part)
			}
		}
		if strings.Contains(part, "\n\n") {
			t.Fatalf("span %d %q crosses a blank line", i, part)
		}
		// Nothing but space between spans.
		if gap := text[prev:s.Start]; strings.TrimFunc(gap, unicode.IsSpace) != "" && utf8.ValidString(gap) {
			t.Fatalf("text %q between spans %d and %d is in no sentence", gap, i-1, i)
		}
		prev = s.End
	}
	if rest := text[prev:]; strings.TrimFunc(rest, unicode.IsSpace) != "" && utf8.ValidString(rest) {
		t.Fatalf("trailing text %q is in no sentence", rest)
	}
}

func FuzzSplit(f *testing.F) {
	for _, s := range []string{
		"The plan failed. Critics were right.",
		"Mr. Smith met Dr. Jones in the U.S. yesterday. They talked.",
		"“Je leert een vriend pas kennen als je in de problemen raakt”, sprak hij.",
		"¿Por qué? ¡Sí!\n\nSubheading\n\nBody... end",
		"a.b.c. d?! \"e\" 'f' (g.) [h.]",
		"\n \n\t\r\n",
		"Ü. Ä. ß. İstanbul. ǅ.",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if !utf8.ValidString(text) {
			return // bodies are valid UTF-8 (article decoding enforces it)
		}
		checkSpans(t, text, Split(text))
	})
}
