package language

import (
	"archive/zip"
	"bytes"
	"embed"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"math"
	"math/bits"
	"sync"
	"sync/atomic"
	_ "unsafe" // for go:linkname

	_ "github.com/pemistahl/lingua-go" // linked for linguaModels
	"google.golang.org/protobuf/encoding/protowire"
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
		return nil, nil //nolint:nilerr // a missing file is no model of this order, not an error
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
	// Walk the protobuf wire format directly (lingua-go's
	// SerializableLanguageModel: field 4 holds n-gram sets of a probability,
	// field 1, and n-grams, field 2) and hash the n-grams in place: decoding
	// into Go strings would allocate millions of them and double the peak
	// memory of loading.
	n := 0
	if err := walkModel(data, func([]byte, float64) { n++ }); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", name, err)
	}
	t := newTable(n)
	if err := walkModel(data, func(g []byte, p float64) { t.put(maphash.Bytes(seed, g), quantise(p)) }); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", name, err)
	}
	return t, nil
}

var errWire = errors.New("malformed protobuf")

// walkModel calls fn for every n-gram of a serialised lingua-go model.
func walkModel(data []byte, fn func(ngram []byte, p float64)) error {
	var grams [][]byte
	for len(data) > 0 {
		num, typ, n := protowire.ConsumeTag(data)
		if n < 0 {
			return errWire
		}
		data = data[n:]
		if num != 4 || typ != protowire.BytesType {
			if n = protowire.ConsumeFieldValue(num, typ, data); n < 0 {
				return errWire
			}
			data = data[n:]
			continue
		}
		set, n := protowire.ConsumeBytes(data)
		if n < 0 {
			return errWire
		}
		data = data[n:]
		prob := 0.0
		grams = grams[:0]
		for len(set) > 0 {
			num, typ, n := protowire.ConsumeTag(set)
			if n < 0 {
				return errWire
			}
			set = set[n:]
			switch {
			case num == 1 && typ == protowire.Fixed64Type:
				v, n := protowire.ConsumeFixed64(set)
				if n < 0 {
					return errWire
				}
				prob, set = math.Float64frombits(v), set[n:]
			case num == 2 && typ == protowire.BytesType:
				g, n := protowire.ConsumeBytes(set)
				if n < 0 {
					return errWire
				}
				grams, set = append(grams, g), set[n:]
			default:
				if n = protowire.ConsumeFieldValue(num, typ, set); n < 0 {
					return errWire
				}
				set = set[n:]
			}
		}
		for _, g := range grams {
			fn(g, prob)
		}
	}
	return nil
}

// loadedBytes counts the memory held by loaded tables.
var loadedBytes atomic.Int64

// ModelBytes reports the memory held by the n-gram tables loaded so far.
func ModelBytes() int64 { return loadedBytes.Load() }
