package language

import (
	"math/bits"
	"slices"
	"sync"
)

// longOrder is the n-gram order long text is scored with; scoring backs off
// to the shorter orders.
const longOrder = 3

// ngramIndex holds the 1- to 3-gram tables of several languages merged, one
// table per order: a probe finds an n-gram's probability in every language
// at once. Long text is scored on trigrams for some thirty candidates,
// backing off to bigrams and unigrams; with a table per language that is up
// to ninety probes into tables far larger than the processor's caches per
// trigram, and they were most of the detector's time.
type ngramIndex struct {
	langs  []int                           // supported indexes; a language's slot is its position
	slotOf [len(supportedArrayMarker)]int8 // slot of a supported index, -1 if absent
	orders [longOrder + 1]mergedTable      // by order; 0 unused
}

// mergedTable maps an n-gram's 48-bit hash key (as the per-language tables
// store it) to the languages that know the n-gram and its quantised log
// probability in each.
type mergedTable struct {
	keys    []uint64 // slotKey values; 0 marks an empty slot
	spans   []uint32 // where a key's entries start, << 8 | how many
	entries []uint32 // language slot << 16 | q
}

// indexes caches one index per script (its configured languages) and one
// for every configured language, per detector.
type indexes struct {
	once     [numScripts + 1]sync.Once
	byScript [numScripts + 1]*ngramIndex
}

// index returns the merged tables of a script's languages, or of all
// configured languages when the candidates are not of one script.
func (d *Detector) index(cands []int) *ngramIndex {
	key := int(numScripts) // all languages
	if len(cands) > 0 {
		sc := supported[cands[0]].script
		if !slices.ContainsFunc(cands, func(li int) bool { return supported[li].script != sc }) {
			key = int(sc)
		}
	}
	d.indexes.once[key].Do(func() {
		langs := d.langs
		if key < int(numScripts) {
			langs = d.byScript[key]
		}
		d.indexes.byScript[key] = buildIndex(langs)
	})
	return d.indexes.byScript[key]
}

func buildIndex(langs []int) *ngramIndex {
	x := &ngramIndex{langs: langs}
	for i := range x.slotOf {
		x.slotOf[i] = -1
	}
	for slot, li := range langs {
		x.slotOf[li] = int8(slot)
	}
	for order := 1; order <= longOrder; order++ {
		type entry struct {
			key  uint64
			slot uint32
			q    uint16
		}
		tables := make([]*table, len(langs))
		n := 0
		for slot, li := range langs {
			tables[slot], _ = model(li, order) // as in grams.sum: a model that fails to load knows nothing
			if tables[slot] != nil {
				n += tables[slot].count()
			}
		}
		all := make([]entry, 0, n)
		for slot, t := range tables {
			if t == nil {
				continue
			}
			for _, s := range t.slots {
				if s != 0 {
					all = append(all, entry{key: s &^ 0xffff, slot: uint32(slot), q: uint16(s)})
				}
			}
		}
		slices.SortFunc(all, func(a, b entry) int {
			switch {
			case a.key < b.key:
				return -1
			case a.key > b.key:
				return 1
			}
			return int(a.slot) - int(b.slot)
		})
		distinct := 0
		for i := range all {
			if i == 0 || all[i].key != all[i-1].key {
				distinct++
			}
		}
		m := mergedTable{
			keys:    make([]uint64, distinct+distinct/4+1),
			spans:   make([]uint32, distinct+distinct/4+1),
			entries: make([]uint32, len(all)),
		}
		for i := 0; i < len(all); {
			j := i
			for j < len(all) && all[j].key == all[i].key {
				m.entries[j] = all[j].slot<<16 | uint32(all[j].q)
				j++
			}
			m.put(all[i].key, uint32(i)<<8|uint32(j-i))
			i = j
		}
		x.orders[order] = m
		loadedBytes.Add(int64(8*len(m.keys) + 4*len(m.spans) + 4*len(m.entries)))
	}
	return x
}

// count returns the number of n-grams in t.
func (t *table) count() int {
	n := 0
	for _, s := range t.slots {
		if s != 0 {
			n++
		}
	}
	return n
}

func (m *mergedTable) home(key uint64) int {
	hi, _ := bits.Mul64(key, uint64(len(m.keys)))
	return int(hi)
}

func (m *mergedTable) put(key uint64, span uint32) {
	for i := m.home(key); ; {
		if m.keys[i] == 0 {
			m.keys[i], m.spans[i] = key, span
			return
		}
		if i++; i == len(m.keys) {
			i = 0
		}
	}
}

// get returns the entries of the n-gram with hash h.
func (m *mergedTable) get(h uint64) []uint32 {
	if len(m.keys) == 0 {
		return nil
	}
	key := slotKey(h)
	for i := m.home(key); ; {
		switch m.keys[i] {
		case key:
			sp := m.spans[i]
			return m.entries[sp>>8 : sp>>8+sp&0xff]
		case 0:
			return nil
		}
		if i++; i == len(m.keys) {
			i = 0
		}
	}
}
