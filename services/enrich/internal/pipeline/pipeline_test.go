package pipeline

import (
	"errors"
	"strings"
	"testing"

	"github.com/newsflow/newsflow/pkg/article"
)

type plainTagger struct{}

func (plainTagger) Name() string                                { return "plain" }
func (plainTagger) Tag(*article.Raw, *article.Enrichment) error { return nil }

type loadingTagger struct {
	plainTagger
	loads int
	err   error
}

func (t *loadingTagger) Name() string { return "loading" }
func (t *loadingTagger) Load() error  { t.loads++; return t.err }

func TestLoad(t *testing.T) {
	lt := &loadingTagger{}
	p, err := New([]Tagger{plainTagger{}, lt})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Load(); err != nil || lt.loads != 1 {
		t.Fatalf("Load: %v, %d loads; want nil, 1", err, lt.loads)
	}
	lt.err = errors.New("bad model")
	if err := p.Load(); err == nil || !strings.Contains(err.Error(), "loading loading: bad model") {
		t.Errorf("Load with a failing tagger: %v", err)
	}
}
