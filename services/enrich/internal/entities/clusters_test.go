package entities

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"testing"
)

func TestClusterVectors(t *testing.T) {
	// Three tight groups of vectors pointing three different ways.
	rng := rand.New(rand.NewPCG(1, 2))
	dirs := [][]float32{{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 1}}
	var words []string
	var vecs [][]float32
	group := map[string]int{}
	for i := range 60 {
		g := i % 3
		v := make([]float32, 4)
		for d := range v {
			v[d] = dirs[g][d] + float32(rng.NormFloat64()*0.05)
		}
		w := fmt.Sprintf("w%c%c", 'a'+i/26, 'a'+i%26) // digits would all read 0
		words, vecs = append(words, w), append(vecs, v)
		group[w] = g
	}
	// A second spelling of waa with another vector: the first one wins.
	words, vecs = append(words, "WAA"), append(vecs, []float32{0, 1, 0, 0})
	// A zero vector has no direction: left out.
	words, vecs = append(words, "zero"), append(vecs, []float32{0, 0, 0, 0})

	got := ClusterVectors(words, vecs)
	if len(got) != 60 {
		t.Fatalf("%d words clustered, want 60 (WAA shares waa's key, zero has no direction)", len(got))
	}
	if _, ok := got[WordKey("zero")]; ok {
		t.Error("a zero vector got a cluster")
	}
	path := func(w string) uint16 { return got[WordKey(w)] }
	for a, ga := range group {
		for b, gb := range group {
			pa, pb := path(a), path(b)
			switch {
			case ga == gb && pa>>(clusterDepth-1) != pb>>(clusterDepth-1):
				t.Errorf("%s and %s are in one group but split at the root: %012b %012b", a, b, pa, pb)
			case ga != gb && pa>>(clusterDepth-2) == pb>>(clusterDepth-2):
				t.Errorf("%s and %s are in different groups but share two bits: %012b %012b", a, b, pa, pb)
			}
		}
	}
	if again := ClusterVectors(words, vecs); !maps.Equal(got, again) {
		t.Error("two runs on the same input gave different clusters")
	}
}

// TestClusterPrefixes checks the prefixes a word's features read from its
// cluster path: three for the 12-bit paths of models written before
// version 1.9.0 (as those models were trained), four for 16-bit ones, and
// that a model file keeps its path length.
func TestClusterPrefixes(t *testing.T) {
	key := WordKey("london")
	for _, tc := range []struct {
		bits int
		path uint16
		want [4]uint64
	}{
		{12, 0xabc, [4]uint64{0xa | 1<<20, 0xab | 2<<20, 0xabc | 3<<20, 0}},
		{16, 0xabcd, [4]uint64{0xa | 1<<20, 0xab | 2<<20, 0xabc | 3<<20, 0xabcd | 4<<20}},
	} {
		res := resources{clusters: map[uint64]uint16{key: tc.path}, clusterBits: tc.bits}
		if got := newFeaturizer(&res).word("London").cluster; got != tc.want {
			t.Errorf("%d bits: prefixes %x, want %x", tc.bits, got, tc.want)
		}
	}
	sents := []Sentence{{Words: []string{"In", "London", "."}, Labels: FromIOB2([]string{"O", "B-LOC", "O"})}}
	m, err := Train(TrainConfig{Lang: "en", Epochs: 2, Seed: 1, Clusters: map[uint64]uint16{key: 0xabcd}}, sents)
	if err != nil {
		t.Fatal(err)
	}
	if m2, _ := roundTrip(t, m); m2.res.clusterBits != clusterDepth || m2.res.clusters[key] != 0xabcd {
		t.Errorf("read back %d-bit clusters (london %x), want %d bits (abcd)", m2.res.clusterBits, m2.res.clusters[key], clusterDepth)
	}
}
