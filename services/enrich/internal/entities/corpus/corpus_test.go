package corpus

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestToIOB2(t *testing.T) {
	tests := []struct {
		name     string
		in, want string
	}{
		{"iob1 starts", "I-PER I-PER O I-LOC", "B-PER I-PER O B-LOC"},
		{"iob1 adjacent same type", "I-ORG B-ORG I-ORG", "B-ORG B-ORG I-ORG"},
		{"type change", "I-PER I-LOC", "B-PER B-LOC"},
		{"iob2 unchanged", "B-MISC I-MISC O B-PER", "B-MISC I-MISC O B-PER"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(toIOB2(strings.Fields(tt.in)), " ")
			if got != tt.want {
				t.Errorf("toIOB2(%s) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestNormalTag(t *testing.T) {
	tests := []struct {
		in    string
		types map[string]string
		want  string
	}{
		{"B-PEr", noMISCTypes, "B-PER"},
		{"I_ORG", noMISCTypes, "I-ORG"},
		{"B-BER", noMISCTypes, "B-PER"},
		{"I-MISC", noMISCTypes, "O"},
		{"v", noMISCTypes, "O"},
		{"B-OTH", germevalTypes, "B-MISC"},
		{"I-LOCderiv", germevalTypes, "I-MISC"},
		{"B-ORGpart", germevalTypes, "O"},
		{"B-corporation", wnutTypes, "B-ORG"},
		{"I-creative-work", wnutTypes, "I-MISC"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := normalTag(tt.in, tt.types); got != tt.want {
				t.Errorf("normalTag(%s) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestRead(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Run("conll with documents, iob1", func(t *testing.T) {
		p := write("a.conll", "Anna I-PER\nwoont O\n\n-DOCSTART- O\n\nIn O\nGent I-LOC\n. O\n")
		docs, err := read(p, format{word: 0, tag: -1, docMark: docstart, mapTag: func(s string) string { return normalTag(s, conllTypes) }})
		if err != nil {
			t.Fatal(err)
		}
		if len(docs) != 2 || len(docs[1].Sentences) != 1 {
			t.Fatalf("docs = %+v", docs)
		}
		if got := docs[1].Sentences[0].Tags; !slices.Equal(got, []string{"O", "B-LOC", "O"}) {
			t.Errorf("tags = %v", got)
		}
	})
	t.Run("tsv with comments", func(t *testing.T) {
		p := write("b.tsv", "#\thttp://example.org\t[2010]\n1\tIn\tO\tO\n2\tBerlin\tB-LOC\tO\n\n")
		docs, err := read(p, format{tab: true, word: 1, tag: 2, comments: true, mapTag: func(s string) string { return normalTag(s, germevalTypes) }})
		if err != nil {
			t.Fatal(err)
		}
		if len(docs) != 1 || !slices.Equal(docs[0].Sentences[0].Words, []string{"In", "Berlin"}) {
			t.Fatalf("docs = %+v", docs)
		}
	})
	t.Run("no sentence breaks", func(t *testing.T) {
		p := write("c.bio", "Der O\nKaiser B-PER\nkam O\nnach O\nWien B-LOC\n. O\nDann O\nging O\ner O\n")
		docs, err := read(p, format{word: 0, tag: -1, noBreaks: true, mapTag: func(s string) string { return normalTag(s, noMISCTypes) }})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(docs[0].Sentences); n != 2 {
			t.Fatalf("%d sentences, want 2: %+v", n, docs)
		}
	})
}

// Each fold holds out its own fifth, and the five fifths are the corpus.
func TestHeldOut(t *testing.T) {
	docs := make([]Doc, 12)
	for i := range docs {
		docs[i] = Doc{Sentences: []Sentence{{Words: []string{string(rune('a' + i))}}}}
	}
	defer func() { HeldOutFold = 4 }()
	seen := map[string]int{}
	for fold := range 5 {
		if err := SetHeldOutFold(string(rune('0' + fold))); err != nil {
			t.Fatal(err)
		}
		train, eval := heldOut(docs, Train), heldOut(docs, Eval)
		if len(train)+len(eval) != len(docs) || len(eval) != (len(docs)+4-fold)/5 {
			t.Fatalf("fold %d: train %d, eval %d", fold, len(train), len(eval))
		}
		for _, e := range eval {
			seen[e.Sentences[0].Words[0]]++
			for _, tr := range train {
				if e.Sentences[0].Words[0] == tr.Sentences[0].Words[0] {
					t.Fatalf("fold %d: document %q in both splits", fold, e.Sentences[0].Words[0])
				}
			}
		}
	}
	if len(seen) != len(docs) {
		t.Fatalf("the five held-out fifths hold %d of %d documents", len(seen), len(docs))
	}
	for _, bad := range []string{"5", "-1", "x"} {
		if err := SetHeldOutFold(bad); err == nil {
			t.Errorf("fold %q accepted", bad)
		}
	}
}

// TestLoadAll checks that the All split is the training and evaluation
// splits together, token for token (skipped without shared/data).
func TestLoadAll(t *testing.T) {
	const dir = "../../../../../../shared/data/ner"
	if _, err := os.Stat(dir); err != nil {
		t.Skip("shared/data/ner not present")
	}
	tokens := func(s Split) (n int) {
		sets, err := Load(dir, s)
		if err != nil {
			t.Fatal(err)
		}
		for _, set := range sets {
			n += set.Tokens()
		}
		return n
	}
	train, eval, all := tokens(Train), tokens(Eval), tokens(All)
	if eval == 0 || all != train+eval {
		t.Fatalf("all %d tokens, want train %d + eval %d", all, train, eval)
	}
}

func TestNationalitiesMISC(t *testing.T) {
	words := strings.Fields("Iraqi troops met Israelis and Iranian Air officials in Saudi Arabia ; iraqi Jordan")
	tags := strings.Fields("B-LOC O O B-LOC O B-LOC I-LOC O O B-LOC I-LOC O B-LOC B-LOC")
	docs := nationalitiesMISC([]Doc{{Sentences: []Sentence{{Words: words, Tags: tags}}}})
	// One-word nationalities become MISC; "Iranian Air" and "Saudi Arabia"
	// are longer names, "iraqi" is not written as one, Jordan is a place.
	want := "B-MISC O O B-MISC O B-LOC I-LOC O O B-LOC I-LOC O B-LOC B-LOC"
	if got := strings.Join(docs[0].Sentences[0].Tags, " "); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
