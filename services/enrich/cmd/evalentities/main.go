// Command evalentities scores the entity tagger on the evaluation splits of
// shared/data/ner with exact-match entity precision, recall and F1 per type,
// as conlleval counts them.
//
// Two ways through the tagger:
//   - enrich: each document's sentences become an article body (one
//     sentence a line), the articles go through `enrich tag` (language
//     detection, tokenisation, tagging, offsets) and a predicted entity counts
//     when its byte span and type equal a gold entity's;
//   - tokens: the gold tokens of each document go straight to the model of
//     the set's language.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/pkg/ops"
	"github.com/newsflow/newsflow/services/enrich/internal/entities"
	"github.com/newsflow/newsflow/services/enrich/internal/entities/corpus"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "evalentities: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("evalentities", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "../shared/data/ner", "directory of the NER corpora")
	mode := fs.String("mode", "enrich,tokens", "enrich (through `enrich tag`), tokens (gold tokens), or both")
	enrichBin := fs.String("enrich", "bin/enrich", "the enrich binary, for mode enrich")
	models := fs.String("models", "", "model directory, for both modes (default: the built-in models)")
	sets := fs.String("sets", "", "comma-separated set names to score (default: all)")
	lang := fs.String("lang", "", "score every set with this language's model (tokens mode), e.g. xx")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the scoring to this file")
	fs.Func("fold", "which fifth (0-4, default 4) of GermEval, Wikigold and UNER to score: the one trainentities -fold left out", corpus.SetHeldOutFold)
	cv := fs.String("cv", "", "cross-validate: score each fold k with the models in DIR/fk (trainentities -split train -fold k -out DIR/fk, k = 0-4) and report the counts pooled over the five folds")
	if err := fs.Parse(args); err != nil {
		return err
	}
	stopProfile, err := ops.CPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer func() { _ = stopProfile() }()
	if *cv != "" {
		return crossValidate(ctx, stdout, *data, *sets, *cv, strings.Split(*mode, ","), *enrichBin)
	}
	all, err := loadSets(*data, *sets)
	if err != nil {
		return err
	}
	tagger, err := newTagger(*models)
	if err != nil {
		return err
	}
	for _, m := range strings.Split(*mode, ",") {
		switch m {
		case "tokens":
			fmt.Fprintf(stdout, "## gold tokens, straight into the model\n\n")
			for _, s := range all {
				l := s.Lang
				if *lang != "" {
					l = *lang
				}
				// Load the model first: the time is the tagger's alone,
				// on varied held-out text rather than a repeated paragraph.
				m, _, err := tagger.Model(l)
				if err != nil {
					return err
				}
				runtime.GC() // the loading's garbage is not the tagger's
				start := time.Now()
				sc, err := scoreTokens(tagger, s, l)
				if err != nil {
					return err
				}
				d := time.Since(start)
				how := fmt.Sprintf("%s, %s, %.0f tokens/s on one core", l, d.Round(time.Millisecond), float64(s.Tokens())/d.Seconds())
				if m == nil {
					how = "none: no " + l + " model and no fallback"
				}
				report(stdout, s, how, sc)
			}
		case "enrich":
			fmt.Fprintf(stdout, "## through `enrich tag` (language detected, text tokenised by the tagger)\n\n")
			for _, s := range all {
				start := time.Now()
				sc, langs, err := scoreEnrich(ctx, *enrichBin, *models, s)
				if err != nil {
					return err
				}
				report(stdout, s, fmt.Sprintf("%s, %s", langs, time.Since(start).Round(time.Millisecond)), sc)
			}
		default:
			return fmt.Errorf("unknown mode %q", m)
		}
	}
	return nil
}

// loadSets reads the evaluation sets, only those named in names
// (comma-separated) unless it is empty.
func loadSets(data, names string) ([]corpus.Set, error) {
	all, err := corpus.Load(data, corpus.Eval)
	if err != nil {
		return nil, err
	}
	if names != "" {
		want := strings.Split(names, ",")
		all = slices.DeleteFunc(all, func(s corpus.Set) bool { return !slices.Contains(want, s.Name) })
	}
	return all, nil
}

// newTagger loads the models in dir, or the built-in ones when dir is empty.
func newTagger(dir string) (*entities.Tagger, error) {
	cfg := entities.DefaultConfig()
	if dir != "" {
		cfg.Models = os.DirFS(dir)
		if _, err := os.Stat(filepath.Join(dir, entities.Fallback+".ner.gz")); err != nil {
			cfg.Fallback = ""
		}
	}
	return entities.New(cfg)
}

// crossValidate scores each fold's held-out fifth with the models trained
// without it (dir/f0 ... dir/f4) and reports the counts pooled over the
// five folds: 1,970 GermEval PER/ORG/LOC entities instead of one fifth's
// 389. Sets that have no folds (CoNLL-2002 testa, WNUT dev) are scored
// five times, once per fold's models.
func crossValidate(ctx context.Context, w io.Writer, data, names, dir string, modes []string, enrichBin string) error {
	defer func() { corpus.HeldOutFold = 4 }()
	pooled := map[string]map[string]scores{} // mode, set name
	var sets []corpus.Set                    // every fold's documents, for the headings
	for k := range 5 {
		corpus.HeldOutFold = k
		fold, err := loadSets(data, names)
		if err != nil {
			return err
		}
		models := filepath.Join(dir, fmt.Sprintf("f%d", k))
		tagger, err := newTagger(models)
		if err != nil {
			return fmt.Errorf("fold %d: %w", k, err)
		}
		for i, s := range fold {
			if k == 0 {
				sets = append(sets, corpus.Set{Name: s.Name, Lang: s.Lang, NoMISC: s.NoMISC})
			}
			sets[i].Docs = append(sets[i].Docs, s.Docs...)
			for _, m := range modes {
				var sc scores
				switch m {
				case "tokens":
					sc, err = scoreTokens(tagger, s, s.Lang)
				case "enrich":
					sc, _, err = scoreEnrich(ctx, enrichBin, models, s)
				default:
					err = fmt.Errorf("unknown mode %q", m)
				}
				if err != nil {
					return fmt.Errorf("fold %d, %s: %w", k, s.Name, err)
				}
				if pooled[m] == nil {
					pooled[m] = map[string]scores{}
				}
				if pooled[m][s.Name] == nil {
					pooled[m][s.Name] = scores{}
				}
				for typ, c := range sc {
					pooled[m][s.Name].add(typ, c.gold, c.pred, c.correct)
				}
			}
		}
	}
	for _, m := range modes {
		fmt.Fprintf(w, "## %s, pooled over five folds (models %s/f0 to f4)\n\n", m, dir)
		for _, s := range sets {
			report(w, s, "of each fold", pooled[m][s.Name])
		}
	}
	return nil
}

// counts are conlleval's: gold entities, predicted entities, exact matches.
type counts struct{ gold, pred, correct int }

type scores map[string]*counts

func (s scores) add(typ string, gold, pred, correct int) {
	c := s[typ]
	if c == nil {
		c = &counts{}
		s[typ] = c
	}
	c.gold += gold
	c.pred += pred
	c.correct += correct
}

func prf(c counts) (p, r, f float64) {
	if c.pred > 0 {
		p = float64(c.correct) / float64(c.pred)
	}
	if c.gold > 0 {
		r = float64(c.correct) / float64(c.gold)
	}
	if p+r > 0 {
		f = 2 * p * r / (p + r)
	}
	return
}

// report writes one set's table under a heading naming the set and, in how,
// the model and the time taken.
func report(w io.Writer, s corpus.Set, how string, sc scores) {
	types := []string{"PER", "ORG", "LOC", "MISC"}
	var all, noMisc counts
	for _, t := range types {
		if c := sc[t]; c != nil {
			all.gold += c.gold
			all.pred += c.pred
			all.correct += c.correct
			if t != "MISC" {
				noMisc.gold += c.gold
				noMisc.pred += c.pred
				noMisc.correct += c.correct
			}
		}
	}
	fmt.Fprintf(w, "%s (%s, %d tokens, model %s)\n\n", s.Name, s.Lang, s.Tokens(), how)
	fmt.Fprintf(w, "| type | gold | pred | P | R | F1 |\n|---|---:|---:|---:|---:|---:|\n")
	row := func(name string, c counts) {
		p, r, f := prf(c)
		fmt.Fprintf(w, "| %s | %d | %d | %.3f | %.3f | %.3f |\n", name, c.gold, c.pred, p, r, f)
	}
	for _, t := range types {
		if c := sc[t]; c != nil {
			row(t, *c)
		}
	}
	row("all", all)
	if s.NoMISC || sc["MISC"] != nil {
		row("PER/ORG/LOC", noMisc)
	}
	fmt.Fprintln(w)
}

type chunk struct {
	start, end int
	typ        string
}

func chunks(tags []string) []chunk {
	var out []chunk
	for _, sp := range entities.SpansIOB2(tags) {
		out = append(out, chunk{sp.Start, sp.End, entities.Types[sp.Type]})
	}
	return out
}

// compare scores predicted against gold chunks; for sets without MISC,
// predicted MISC entities are not counted.
func compare(sc scores, gold, pred []chunk, noMISC bool) {
	g := map[chunk]bool{}
	for _, c := range gold {
		g[c] = true
		sc.add(c.typ, 1, 0, 0)
	}
	for _, c := range pred {
		if noMISC && c.typ == "MISC" {
			continue
		}
		hit := 0
		if g[c] {
			hit = 1
		}
		sc.add(c.typ, 0, 1, hit)
	}
}

func scoreTokens(t *entities.Tagger, s corpus.Set, lang string) (scores, error) {
	sc := scores{}
	for _, d := range s.Docs {
		words := make([][]string, len(d.Sentences))
		for i, x := range d.Sentences {
			words[i] = x.Words
		}
		pred, err := t.TagDocument(words, lang)
		if err != nil {
			return nil, err
		}
		for i, x := range d.Sentences {
			compare(sc, chunks(x.Tags), chunks(pred[i]), s.NoMISC)
		}
	}
	return sc, nil
}

// scoreEnrich runs the set through `enrich tag` and scores byte spans.
func scoreEnrich(ctx context.Context, bin, models string, s corpus.Set) (scores, string, error) {
	var in bytes.Buffer
	var golds [][]chunk
	enc := json.NewEncoder(&in)
	enc.SetEscapeHTML(false)
	for i, d := range s.Docs {
		var body strings.Builder
		var gold []chunk
		for _, x := range d.Sentences {
			if body.Len() > 0 {
				body.WriteByte('\n')
			}
			offs := make([]int, len(x.Words)+1)
			for j, w := range x.Words {
				if j > 0 {
					body.WriteByte(' ')
				}
				offs[j] = body.Len()
				body.WriteString(w)
				offs[j+1] = body.Len()
			}
			for _, c := range chunks(x.Tags) {
				// The end of the chunk is the end of its last word.
				end := offs[c.end-1] + len(x.Words[c.end-1])
				gold = append(gold, chunk{offs[c.start], end, c.typ})
			}
		}
		sum := sha256.Sum256([]byte(fmt.Sprintf("%s/%d", s.Name, i)))
		a := article.Raw{
			SchemaVersion: article.SchemaVersion,
			ID:            hex.EncodeToString(sum[:16]),
			Source:        article.Source{Type: "jsonl", Name: "eval", URI: s.Name},
			Body:          body.String(),
			IngestedAt:    time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		}
		if err := enc.Encode(&a); err != nil {
			return nil, "", err
		}
		golds = append(golds, gold)
	}
	args := []string{"tag"}
	if models != "" {
		args = append(args, "-entity-models", models)
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdin = &in
	var out, errb bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &errb
	if err := cmd.Run(); err != nil {
		return nil, "", fmt.Errorf("running %s tag: %w: %s", bin, err, errb.String())
	}
	sc := scores{}
	langs := map[string]int{}
	scan := bufio.NewScanner(&out)
	scan.Buffer(make([]byte, 1<<20), 64<<20)
	i := 0
	for scan.Scan() {
		var e article.Enriched
		if err := json.Unmarshal(scan.Bytes(), &e); err != nil {
			return nil, "", fmt.Errorf("output line %d: %w", i+1, err)
		}
		if i >= len(golds) {
			return nil, "", fmt.Errorf("more output lines than articles")
		}
		if e.Enrichment.Language != nil {
			langs[e.Enrichment.Language.Code]++
		}
		var pred []chunk
		for _, en := range e.Enrichment.Entities {
			if en.Field == "body" {
				pred = append(pred, chunk{en.Start, en.End, en.Type})
			}
		}
		compare(sc, golds[i], pred, s.NoMISC)
		i++
	}
	if err := scan.Err(); err != nil {
		return nil, "", err
	}
	if i != len(golds) {
		return nil, "", fmt.Errorf("%d output lines for %d articles", i, len(golds))
	}
	var parts []string
	for k, v := range langs {
		parts = append(parts, fmt.Sprintf("%s:%d", k, v))
	}
	slices.Sort(parts)
	return sc, "detected " + strings.Join(parts, " "), nil
}
