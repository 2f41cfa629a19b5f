package language

import (
	"archive/zip"
	"bytes"
	"embed"
	"fmt"
	"hash/maphash"
	"io"
	"math"
	"math/bits"
	"sync"
	"sync/atomic"
	_ "unsafe" // for go:linkname

	_ "github.com/pemistahl/lingua-go" // linked for linguaModels
	"github.com/pemistahl/lingua-go/serialization"
	"google.golang.org/protobuf/proto"
)

// linguaModels is lingua-go's embedded model folder (language-models/<iso>/
// <order>grams.pb.bin.zip, protobuf n-gram probabilities). lingua-go keeps it
// unexported and decodes it into map[string]float64, about 130 bytes per
// n-gram: 0.7 GB for 16 languages in high-accuracy mode. This package reads
// the same data once into open-addressing tables of 8 bytes per n-gram.
// lingua-go is pinned in go.mod; TestLinguaModelsLinked fails if the symbol
// moves.
//
//go:linkname linguaModels github.com/pemistahl/lingua-go.languageModels
var linguaModels embed.FS

const maxOrder = 5

// orderNames are lingua-go's file names per n-gram order.
var orderNames = [maxOrder + 1]string{"", "unigrams", "bigrams", "trigrams", "quadrigrams", "fivegrams"}

// qScale quantises a log probability: q = -ln(p) * qScale, 16 bits.
const qScale = 1024

// table maps n-gram hashes to quantised log probabilities. Each slot is
// (48-bit hash key << 16) | q; 0 marks an empty slot.
type table struct {
	slots []uint64
}

var seed = maphash.MakeSeed()

func hashString(s string) uint64 { return maphash.String(seed, s) }

func slotKey(h uint64) uint64 {
	k := h >> 16
	if k == 0 {
		k = 1
	}
	return k << 16
}

func newTable(n int) *table {
	size := n + n/4 + 1 // load factor 0.8
	return &table{slots: make([]uint64, size)}
}

func (t *table) home(h uint64) int {
	hi, _ := bits.Mul64(h, uint64(len(t.slots)))
	return int(hi)
}

func (t *table) put(h uint64, q uint16) {
	key := slotKey(h)
	i := t.home(h)
	for {
		s := t.slots[i]
		if s == 0 || s&^0xffff == key {
			t.slots[i] = key | uint64(q)
			return
		}
		if i++; i == len(t.slots) {
			i = 0
		}
	}
}

// get returns the log probability of the n-gram with hash h, or 0 and false.
func (t *table) get(h uint64) (float64, bool) {
	if t == nil {
		return 0, false
	}
	key := slotKey(h)
	i := t.home(h)
	for {
		s := t.slots[i]
		if s == 0 {
			return 0, false
		}
		if s&^0xffff == key {
			return -float64(s&0xffff) / qScale, true
		}
		if i++; i == len(t.slots) {
			i = 0
		}
	}
}

func quantise(p float64) uint16 {
	q := math.Round(-math.Log(p) * qScale)
	if q < 0 {
		q = 0
	}
	if q > math.MaxUint16 {
		q = math.MaxUint16
	}
	return uint16(q)
}

// models caches the tables per language and order, process-wide: they are
// immutable and large, so every Detector shares them.
var models struct {
	once   [len(supportedArrayMarker)][maxOrder + 1]sync.Once
	tables [len(supportedArrayMarker)][maxOrder + 1]*table
	errs   [len(supportedArrayMarker)][maxOrder + 1]error
}

// supportedArrayMarker sizes the cache arrays; init checks it matches supported.
var supportedArrayMarker [64]struct{}

func init() {
	if len(supported) > len(supportedArrayMarker) {
		panic("language: raise supportedArrayMarker")
	}
}

// model returns the table of one language and order, loading it on first use.
// A nil table means the language has no model of that order (languages with a
// script of their own have unigrams only).
func model(li, order int) (*table, error) {
	models.once[li][order].Do(func() {
		t, err := loadModel(supported[li], order)
		if t != nil {
			loadedBytes.Add(int64(8 * len(t.slots)))
		}
		models.tables[li][order], models.errs[li][order] = t, err
	})
	return models.tables[li][order], models.errs[li][order]
}

func loadModel(l lang, order int) (*table, error) {
	if l.linguaDir == "" {
		return trainedModel(l.code, order)
	}
	name := fmt.Sprintf("language-models/%s/%s.pb.bin.zip", l.linguaDir, orderNames[order])
	zipped, err := linguaModels.ReadFile(name)
	if err != nil {
		return nil, nil // no model of this order
	}
	zr, err := zip.NewReader(bytes.NewReader(zipped), int64(len(zipped)))
	if err != nil || len(zr.File) == 0 {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	f, err := zr.File[0].Open()
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	data, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	var m serialization.SerializableLanguageModel
	if err := proto.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", name, err)
	}
	n := 0
	for _, set := range m.NgramSets {
		n += len(set.Ngrams)
	}
	t := newTable(n)
	for _, set := range m.NgramSets {
		q := quantise(set.Probability)
		for _, g := range set.Ngrams {
			t.put(hashString(g), q)
		}
	}
	return t, nil
}

// loadedBytes counts the memory held by loaded tables.
var loadedBytes atomic.Int64

// ModelBytes reports the memory held by the n-gram tables loaded so far.
func ModelBytes() int64 { return loadedBytes.Load() }
