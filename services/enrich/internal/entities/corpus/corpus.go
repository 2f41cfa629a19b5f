// Package corpus reads the named-entity corpora in shared/data/ner, each in
// its own format, into IOB2 sentences with the CoNLL types PER, ORG, LOC and
// MISC, and names the training and evaluation splits used by newsflow.
package corpus

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Sentence is a tokenised sentence with one IOB2 tag per token.
type Sentence struct {
	Words []string
	Tags  []string
}

// Doc is a run of sentences from one document (or one chunk of a corpus
// without document marks).
type Doc struct {
	Sentences []Sentence
}

// Set is one corpus split.
type Set struct {
	Name string
	Lang string
	Docs []Doc
	// NoMISC marks corpora that do not annotate MISC.
	NoMISC bool
	// Weight scales the set's updates in training.
	Weight float32
}

// Tokens counts the set's tokens.
func (s *Set) Tokens() int {
	n := 0
	for _, d := range s.Docs {
		for _, x := range d.Sentences {
			n += len(x.Words)
		}
	}
	return n
}

// format describes a column file.
type format struct {
	tab      bool // split on TAB (else on runs of spaces)
	word     int  // column of the token
	tag      int  // column of the tag; -1 = last
	comments bool // lines starting with '#' are comments
	// docMark says whether a line starts a new document.
	docMark func(line string) bool
	mapTag  func(string) string
	// noBreaks: the file has no sentence breaks; cut sentences at final
	// punctuation followed by a capital, and at most every 60 tokens.
	noBreaks bool
}

func open(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if !strings.HasSuffix(path, ".gz") {
		return f, nil
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return struct {
		io.Reader
		io.Closer
	}{zr, f}, nil
}

func read(path string, f format) ([]Doc, error) {
	rc, err := open(path)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var docs []Doc
	var cur Doc
	var s Sentence
	flushSent := func() {
		if len(s.Words) > 0 {
			s.Tags = toIOB2(s.Tags)
			cur.Sentences = append(cur.Sentences, s)
		}
		s = Sentence{}
	}
	flushDoc := func() {
		flushSent()
		if len(cur.Sentences) > 0 {
			docs = append(docs, cur)
		}
		cur = Doc{}
	}
	sc := bufio.NewScanner(rc)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if f.docMark != nil && f.docMark(line) {
			flushDoc()
			continue
		}
		if strings.TrimSpace(line) == "" {
			flushSent()
			continue
		}
		if f.comments && strings.HasPrefix(line, "#") && (len(line) == 1 || line[1] == ' ' || line[1] == '\t') {
			continue
		}
		var cols []string
		if f.tab {
			cols = strings.Split(line, "\t")
		} else {
			cols = strings.Fields(line)
		}
		if len(cols) < 2 || f.word >= len(cols) {
			continue
		}
		tag := cols[len(cols)-1]
		if f.tag >= 0 {
			if f.tag >= len(cols) {
				continue
			}
			tag = cols[f.tag]
		}
		word := strings.TrimSpace(cols[f.word])
		if word == "" {
			continue
		}
		tag = strings.TrimSpace(tag)
		if f.mapTag != nil {
			tag = f.mapTag(tag)
		}
		s.Words = append(s.Words, word)
		s.Tags = append(s.Tags, tag)
		if f.noBreaks && breakAfter(s.Words) {
			flushSent()
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	flushDoc()
	return docs, nil
}

// breakAfter cuts unbroken text (Europeana) into pseudo-sentences.
func breakAfter(words []string) bool {
	n := len(words)
	if n >= 60 {
		return true
	}
	last := words[n-1]
	return n >= 5 && (last == "." || last == "!" || last == "?")
}

// toIOB2 turns IOB1 (I- starts an entity unless it continues one of the
// same type) into IOB2; IOB2 input is returned unchanged.
func toIOB2(tags []string) []string {
	prev := "O"
	for i, t := range tags {
		if strings.HasPrefix(t, "I-") && (prev == "O" || prev[2:] != t[2:]) {
			tags[i] = "B-" + t[2:]
		}
		prev = tags[i]
	}
	return tags
}

// normalTag maps a tag to O or B-/I- with one of PER ORG LOC MISC, fixing
// the corpora's typos (B-PEr, I_ORG, B-BER).
func normalTag(t string, types map[string]string) string {
	t = strings.ReplaceAll(t, "_", "-")
	if len(t) < 3 || (t[0] != 'B' && t[0] != 'I') || t[1] != '-' {
		return "O"
	}
	typ, ok := types[strings.ToUpper(t[2:])]
	if !ok {
		typ, ok = types[t[2:]]
	}
	if !ok || typ == "" {
		return "O"
	}
	return t[:2] + typ
}

var conllTypes = map[string]string{"PER": "PER", "ORG": "ORG", "LOC": "LOC", "MISC": "MISC"}

// noMISCTypes drops stray MISC tags from corpora that do not annotate it.
var noMISCTypes = map[string]string{"PER": "PER", "ORG": "ORG", "LOC": "LOC", "BER": "PER"}

var germevalTypes = map[string]string{"PER": "PER", "ORG": "ORG", "LOC": "LOC", "OTH": "MISC", "LOCDERIV": "MISC"}

var wnutTypes = map[string]string{"PERSON": "PER", "LOCATION": "LOC", "CORPORATION": "ORG", "GROUP": "ORG",
	"CREATIVE-WORK": "MISC", "PRODUCT": "MISC"}

// then applies post-processing steps in order.
func then(steps ...func([]Doc) []Doc) func([]Doc) []Doc {
	return func(d []Doc) []Doc {
		for _, f := range steps {
			d = f(d)
		}
		return d
	}
}

func docstart(line string) bool { return strings.HasPrefix(line, "-DOCSTART-") }

// chunk splits a corpus without documents into pseudo-documents of n
// sentences (for per-document features and evaluation through articles).
func chunk(docs []Doc, n int) []Doc {
	var out []Doc
	for _, d := range docs {
		for i := 0; i < len(d.Sentences); i += n {
			out = append(out, Doc{Sentences: d.Sentences[i:min(i+n, len(d.Sentences))]})
		}
	}
	return out
}

// merge joins documents into one.
func merge(docs []Doc) []Doc {
	var all Doc
	for _, d := range docs {
		all.Sentences = append(all.Sentences, d.Sentences...)
	}
	return []Doc{all}
}

// Split says which part of a corpus a set holds.
type Split int

// Splits.
const (
	Train Split = iota
	Eval
	// All is Train and Eval together, the evaluation sets weighted and
	// labelled as training sets: what the shipped models learn from once
	// the evaluation on Eval is done.
	All
)

// HeldOutFold is which fifth of the corpora shared/ provides only as one
// file is held out for evaluation: documents whose index%5 is HeldOutFold.
// make eval-entities holds out the last (4); the others serve
// cross-validation, where a held-out fifth's few hundred entities are too
// few to tell one training setting from another.
var HeldOutFold = 4

// SetHeldOutFold sets HeldOutFold from a flag's value.
func SetHeldOutFold(s string) error {
	k, err := strconv.Atoi(s)
	if err != nil || k < 0 || k > 4 {
		return fmt.Errorf("fold %q: want 0 to 4", s)
	}
	HeldOutFold = k
	return nil
}

// heldOut splits docs: every fifth document (index%5 == HeldOutFold) is
// held out for evaluation. Used for the corpora shared/ provides only as
// one file.
func heldOut(docs []Doc, s Split) []Doc {
	if s == All {
		return docs
	}
	var out []Doc
	for i, d := range docs {
		if (i%5 == HeldOutFold) == (s == Eval) {
			out = append(out, d)
		}
	}
	return out
}

// Load reads the named split of every corpus newsflow uses. dir is
// shared/data/ner.
func Load(dir string, split Split) ([]Set, error) {
	var sets []Set
	add := func(name, lang, path string, f format, noMISC bool, weight float32, post func([]Doc) []Doc) error {
		docs, err := read(filepath.Join(dir, path), f)
		if err != nil {
			return fmt.Errorf("reading %s: %w", name, err)
		}
		if post != nil {
			docs = post(docs)
		}
		sets = append(sets, Set{Name: name, Lang: lang, Docs: docs, NoMISC: noMISC, Weight: weight})
		return nil
	}
	conll := format{word: 0, tag: -1, docMark: docstart, mapTag: func(t string) string { return normalTag(t, conllTypes) }}
	germeval := format{tab: true, word: 1, tag: 2, comments: true, mapTag: func(t string) string { return normalTag(t, germevalTypes) }}
	uner := format{tab: true, word: 1, tag: 2, comments: true,
		docMark: func(l string) bool { return strings.HasPrefix(l, "# newdoc") },
		mapTag:  func(t string) string { return normalTag(t, noMISCTypes) }}
	wikigold := format{word: 0, tag: -1, docMark: docstart, mapTag: func(t string) string { return normalTag(t, conllTypes) }}
	// WNUT's products and creative works are not CoNLL's MISC (no
	// nationalities, events): training treats its O tokens as possibly MISC.
	wnut := format{tab: true, word: 0, tag: 1, mapTag: func(t string) string { return normalTag(t, wnutTypes) }}
	twenty := func(d []Doc) []Doc { return chunk(d, 20) }
	// GermEval is one file of unrelated sentences: hold out every fifth
	// sentence, then group the rest into pseudo-documents of twenty.
	germevalSplit := func(d []Doc) []Doc { return chunk(merge(heldOut(chunk(d, 1), split)), 20) }
	if split == Eval {
		steps := []error{
			add("conll2002-ned-testa", "nl", "conll2002/ned.testa", conll, false, 1, nil),
			add("conll2002-esp-testa", "es", "conll2002/esp.testa", conll, false, 1, twenty),
			add("germeval2014-dev-heldout", "de", "germeval2014/NER-de-dev.tsv", germeval, false, 1, germevalSplit),
			add("wikigold-heldout", "en", "wikigold/wikigold.train.conll", wikigold, false, 1, func(d []Doc) []Doc { return heldOut(d, Eval) }),
			add("uner-en-ewt-dev-heldout", "en", "uner_en_ewt/en_ewt-ud-dev.iob2", uner, true, 1, func(d []Doc) []Doc { return heldOut(d, Eval) }),
			add("wnut17-dev", "en", "wnut17/emerging.dev.conll", wnut, false, 1, twenty),
		}
		for _, err := range steps {
			if err != nil {
				return nil, err
			}
		}
		return sets, nil
	}
	europeana := format{word: 0, tag: -1, noBreaks: true,
		docMark:  func(l string) bool { return strings.HasPrefix(l, "# file:") },
		comments: true, mapTag: func(t string) string { return normalTag(t, noMISCTypes) }}
	btc := format{tab: true, word: 0, tag: 1, mapTag: func(t string) string { return normalTag(t, noMISCTypes) }}
	part := func(d []Doc) []Doc { return heldOut(d, split) }
	steps := []error{
		add("conll2002-ned-train", "nl", "conll2002/ned.train.gz", conll, false, 1, nil),
		add("conll2002-esp-train", "es", "conll2002/esp.train.gz", conll, false, 1, twenty),
		add("germeval2014-dev-train", "de", "germeval2014/NER-de-dev.tsv", germeval, false, 1, germevalSplit),
		add("wikigold-train", "en", "wikigold/wikigold.train.conll", wikigold, false, 1, part),
		add("uner-en-ewt-dev-train", "en", "uner_en_ewt/en_ewt-ud-dev.iob2", uner, true, 1, then(part, nationalitiesMISC)),
		add("wnut17-train", "en", "wnut17/wnut17train.conll.gz", wnut, true, 0.5, then(twenty, nationalitiesMISC)),
	}
	if split == All {
		// The whole of GermEval, Wikigold and UNER came in above.
		steps = append(steps,
			add("conll2002-ned-testa", "nl", "conll2002/ned.testa", conll, false, 1, nil),
			add("conll2002-esp-testa", "es", "conll2002/esp.testa", conll, false, 1, twenty),
			add("wnut17-dev", "en", "wnut17/emerging.dev.conll", wnut, true, 0.5, then(twenty, nationalitiesMISC)))
	}
	for _, sec := range []string{"a", "b", "e", "g", "h"} {
		w := float32(0.5)
		if sec == "g" {
			w = 1 // mainstream-news tweets
		}
		steps = append(steps, add("btc-"+sec, "en", "btc/"+sec+".conll.gz", btc, true, w, then(twenty, nationalitiesMISC)))
	}
	// Historic OCR text: half weight, and less for German, whose Fraktur OCR
	// and old spelling are furthest from today's news (measured on GermEval).
	for _, e := range []struct {
		file, lang string
		weight     float32
	}{
		{"enp_NL.kb", "nl", 0.5}, {"enp_FR.bnf", "fr", 0.5}, {"enp_DE.lft", "de", 0.3}, {"enp_DE.onb", "de", 0.3}, {"enp_DE.sbb", "de", 0.3},
	} {
		steps = append(steps, add("europeana-"+e.file, e.lang, "europeana/"+e.file+".train.bio.gz", europeana, true, e.weight, twenty))
	}
	for _, err := range steps {
		if err != nil {
			return nil, err
		}
	}
	return sets, nil
}
