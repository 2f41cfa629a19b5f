package entities

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func tokenTexts(text string, toks []Token) []string {
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = text[t.Start:t.End]
	}
	return out
}

func TestTokenize(t *testing.T) {
	tests := []struct {
		name string
		lang string
		text string
		want string // tokens joined by |
	}{
		{"hyphenated name", "nl", "De Wit-Russische president van Wit-Rusland.", "De|Wit-Russische|president|van|Wit-Rusland|."},
		{"initials", "en", "J. F. Kennedy was shot.", "J.|F.|Kennedy|was|shot|."},
		{"abbreviation with dots", "en", "The U.S. economy grew.", "The|U.S.|economy|grew|."},
		{"title abbreviation", "en", "Mr. Smith left.", "Mr.|Smith|left|."},
		{"english possessive", "en", "Obama's plan and Merkel’s reply", "Obama|'s|plan|and|Merkel|’s|reply"},
		{"english contraction", "en", "They don't know.", "They|do|n't|know|."},
		{"dutch keeps plural apostrophe", "nl", "de nazi’s en zo’n foto's", "de|nazi’s|en|zo’n|foto's"},
		{"dutch 's-Hertogenbosch", "nl", "in 's-Hertogenbosch", "in|'s-Hertogenbosch"},
		{"curly quotes", "nl", "“Je leert een vriend kennen”, sprak hij.", "“|Je|leert|een|vriend|kennen|”|,|sprak|hij|."},
		{"single quotes", "nl", "als ‘de oudere broer’ van", "als|‘|de|oudere|broer|’|van"},
		{"french elision", "fr", "l'Union européenne et d’Italie", "l'|Union|européenne|et|d’|Italie"},
		{"no elision in english", "en", "O'Brien said", "O'Brien|said"},
		{"numbers", "es", "subió un 3,5% hasta 1.200 euros.", "subió|un|3,5%|hasta|1.200|euros|."},
		{"ellipsis", "en", "Wait... what?", "Wait|...|what|?"},
		{"brackets", "es", "Madrid (EFE) - El", "Madrid|(|EFE|)|-|El"},
		{"all caps headline", "en", "OBAMA MEETS PUTIN IN GENEVA", "OBAMA|MEETS|PUTIN|IN|GENEVA"},
		{"detached possessive in capitals", "en", "WOMEN 'S WORLD CUP", "WOMEN|'S|WORLD|CUP"},
		{"spanish inverted marks", "es", "¿Qué dijo Rajoy?", "¿|Qué|dijo|Rajoy|?"},
		{"german quotes", "de", "„Wir schaffen das“, sagte Merkel.", "„|Wir|schaffen|das|“|,|sagte|Merkel|."},
		{"hashtag and url", "en", "see #Brexit at https://example.com/a.", "see|#Brexit|at|https://example.com/a|."},
		{"pretokenised text keeps full stops on words", "es", "El ministro de Minas. Energía , Rodolpho Tourinho , llegó a Sao Paulo ( Brasil ) .",
			"El|ministro|de|Minas.|Energía|,|Rodolpho|Tourinho|,|llegó|a|Sao|Paulo|(|Brasil|)|."},
		{"pretokenised english", "en", "U.S. President Bill Clinton 's \"plan\" , Reuters said , was ready .",
			"U.S.|President|Bill|Clinton|'s|\"|plan|\"|,|Reuters|said|,|was|ready|."},
		{"pretokenised text still splits other marks", "en", "Results on Saturday: Bayern Munich 2 Hamburg 0 , Borussia Dortmund 1 Schalke 1 , VfB Stuttgart 3 Werder Bremen 1 . Klinsmann scored twice.",
			"Results|on|Saturday|:|Bayern|Munich|2|Hamburg|0|,|Borussia|Dortmund|1|Schalke|1|,|VfB|Stuttgart|3|Werder|Bremen|1|.|Klinsmann|scored|twice."},
		{"written text with a few spaced marks", "en", "He said , in Paris, London, Rome, Bonn and Madrid. Then he left.",
			"He|said|,|in|Paris|,|London|,|Rome|,|Bonn|and|Madrid|.|Then|he|left|."},
		{"empty", "en", "", ""},
		{"only spaces", "en", " \n\t ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(tokenTexts(tt.text, Tokenize(tt.text, tt.lang)), "|")
			if got != tt.want {
				t.Errorf("Tokenize(%q)\n got %s\nwant %s", tt.text, got, tt.want)
			}
		})
	}
}

func TestSentences(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"two sentences", "Poetin sprak. Loekasjenko knikte.", []string{"Poetin sprak .", "Loekasjenko knikte ."}},
		{"initial does not end a sentence", "Zei J. Smith gisteren.", []string{"Zei J. Smith gisteren ."}},
		{"lower case after period", "Het was 3 p.m. toen hij kwam. en toen", []string{"Het was 3 p.m. toen hij kwam . en toen"}},
		{"quote after period", "“Ja.” Toen ging hij.", []string{"“ Ja . ”", "Toen ging hij ."}},
		{"line breaks", "Titel zonder punt\nEerste zin", []string{"Titel zonder punt", "Eerste zin"}},
		{"period set apart after an initial", "Jefferson sandte Robert R . Livingston nach Paris . Er kam", []string{"Jefferson sandte Robert R . Livingston nach Paris .", "Er kam"}},
		{"English mill ends a sentence", "He worked at the mill. The owner left", []string{"He worked at the mill .", "The owner left"}},
		{"German abbreviation before a noun", "Es kostet 5 Mrd. Euro. Dann", []string{"Es kostet 5 Mrd. Euro .", "Dann"}},
		{"period set apart after a word", "Er kam aus Berlin . Dann ging er", []string{"Er kam aus Berlin .", "Dann ging er"}},
		{"pretokenised: a period left on a word ends nothing", "Vino el ministro de Minas. Energía , Tourinho , ayer . Luego habló .",
			[]string{"Vino el ministro de Minas. Energía , Tourinho , ayer .", "Luego habló ."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			toks := Tokenize(tt.text, "nl")
			starts := Sentences(tt.text, toks)
			var got []string
			for i := 0; i+1 < len(starts); i++ {
				got = append(got, strings.Join(tokenTexts(tt.text, toks[starts[i]:starts[i+1]]), " "))
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("Sentences(%q)\n got %q\nwant %q", tt.text, got, tt.want)
			}
		})
	}
}

// checkTokens asserts the tokenizer's invariants: ordered, non-empty,
// non-overlapping tokens on rune boundaries that hold no white space, and
// covering every non-space character.
func checkTokens(t *testing.T, text string, toks []Token) {
	t.Helper()
	prev := 0
	for i, tk := range toks {
		if tk.Start < prev || tk.End <= tk.Start || tk.End > len(text) {
			t.Fatalf("token %d [%d,%d) out of order or empty (prev end %d, len %d)", i, tk.Start, tk.End, prev, len(text))
		}
		if !utf8.ValidString(text) {
			prev = tk.End
			continue // invalid input (the contract forbids it) must only not break the bounds
		}
		if !utf8.RuneStart(text[tk.Start]) || (tk.End < len(text) && !utf8.RuneStart(text[tk.End])) {
			t.Fatalf("token %d [%d,%d) splits a rune", i, tk.Start, tk.End)
		}
		if strings.ContainsFunc(text[tk.Start:tk.End], unicode.IsSpace) {
			t.Fatalf("token %d %q holds white space", i, text[tk.Start:tk.End])
		}
		gap := text[prev:tk.Start]
		if strings.TrimFunc(gap, func(r rune) bool {
			return unicode.IsSpace(r) || unicode.IsControl(r) || r == '\u200b' || r == '\ufeff' || r == utf8.RuneError
		}) != "" {
			t.Fatalf("text %q between tokens was dropped", gap)
		}
		prev = tk.End
	}
	starts := Sentences(text, toks)
	for i := 1; i < len(starts); i++ {
		if starts[i] < starts[i-1] {
			t.Fatalf("sentence starts out of order: %v", starts)
		}
	}
	if starts[len(starts)-1] != len(toks) {
		t.Fatalf("sentences end at %d, want %d", starts[len(starts)-1], len(toks))
	}
}

func FuzzTokenize(f *testing.F) {
	for _, s := range []string{
		"De Wit-Russische president Aleksandr Loekasjenko.",
		"“Je leert een vriend pas kennen”, sprak hij.",
		"J. F. Kennedy's U.S. visit... l'Europe d’Italie 's-Hertogenbosch",
		"¿Qué? ¡Sí! (EFE) 3,5% 1.200.",
		"", ".", "'", "''s", "\u2019", "a\u0301", "\xff\xfe", "...", "-", "a.b.c.", "x'y'z",
	} {
		f.Add(s, "en")
		f.Add(s, "fr")
		f.Add(s, "nl")
	}
	f.Fuzz(func(t *testing.T, text, lang string) {
		checkTokens(t, text, Tokenize(text, lang))
	})
}
