package language

import (
	"embed"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// trainedText holds the project's own text for languages lingua-go has no
// model of (Maltese). The model is trained at load time, the same way
// lingua-go trains its own: relative frequencies of letter n-grams, each
// conditioned on its (n-1)-gram prefix.
//
//go:embed trained/*.txt
var trainedText embed.FS

func trainedModel(code string, order int) (*table, error) {
	data, err := trainedText.ReadFile("trained/" + code + ".txt")
	if err != nil {
		return nil, fmt.Errorf("no model for %q: %w", code, err)
	}
	counts := countNgrams(string(data), order)
	var prefix map[string]int
	if order > 1 {
		prefix = countNgrams(string(data), order-1)
	}
	total := 0
	for _, c := range counts {
		total += c
	}
	t := newTable(len(counts))
	for g, c := range counts {
		den := total
		if order > 1 {
			_, size := utf8.DecodeLastRuneInString(g)
			den = prefix[g[:len(g)-size]]
		}
		t.put(hashString(g), quantise(float64(c)/float64(den)))
	}
	return t, nil
}

// countNgrams counts the letter n-grams of text, lower-cased, within words.
func countNgrams(text string, n int) map[string]int {
	counts := make(map[string]int)
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) }) {
		rs := []rune(w)
		for i := 0; i+n <= len(rs); i++ {
			counts[string(rs[i:i+n])]++
		}
	}
	return counts
}
