package date

import (
	"fmt"
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// pattern is one rule's regular expression compiled for anchored matching:
// the same expression Go's regexp package would run (parsed with the Perl
// flags and simplified as regexp.Compile does), matched by a small
// backtracking matcher on bytes with the same leftmost-first preferences,
// captures included. Go's engine, searching unanchored, starts a match
// attempt at every position and pays for a generic machine at each; this
// matcher is tried only where the first byte can start a match, and its
// alternations skip branches that cannot start with the next byte. The
// rules spend most of a text failing on the first byte or two, so that is
// what has to be cheap.
type pattern struct {
	root  *node
	first byteSet // bytes a match can start with
	// second holds, for a first byte below utf8.RuneSelf, the bytes that
	// can follow it in a match; short[b] says a match can be that one
	// byte long, so anything may follow.
	second [utf8.RuneSelf]byteSet
	short  [utf8.RuneSelf]bool
	ncap   int // capture groups, not counting the whole match
	names  []string
}

// mayStart reports whether a match can start at s[p], from the first two
// bytes.
func (p *pattern) mayStart(s string, i int) bool {
	b := s[i]
	if !p.first.has(b) {
		return false
	}
	if b >= utf8.RuneSelf || p.short[b] {
		return true
	}
	return i+1 < len(s) && p.second[b].has(s[i+1])
}

type opKind uint8

const (
	opEmpty opKind = iota
	opLit
	opClass
	opConcat
	opAlt
	opRepeat
	opCapture
	opWordBoundary
	opNoWordBoundary
)

type byteSet [4]uint64

func (s *byteSet) add(b byte)      { s[b>>6] |= 1 << (b & 63) }
func (s *byteSet) has(b byte) bool { return s[b>>6]&(1<<(b&63)) != 0 }
func (s *byteSet) union(o byteSet) {
	s[0], s[1], s[2], s[3] = s[0]|o[0], s[1]|o[1], s[2]|o[2], s[3]|o[3]
}
func (s *byteSet) addRange(lo, hi int) {
	for b := lo; b <= hi; b++ {
		s.add(byte(b))
	}
}

// addRune adds the bytes runes from lo to hi can start with.
func (s *byteSet) addRune(lo, hi rune) {
	for r := lo; r <= hi && r < utf8.RuneSelf; r++ {
		s.add(byte(r))
	}
	if hi < utf8.RuneSelf {
		return
	}
	lo = max(lo, utf8.RuneSelf)
	if lo <= utf8.RuneError && utf8.RuneError <= hi {
		s.addRange(0x80, 0xff) // an invalid byte decodes as RuneError
		return
	}
	var a, b [utf8.UTFMax]byte
	utf8.EncodeRune(a[:], lo)
	utf8.EncodeRune(b[:], min(hi, utf8.MaxRune))
	s.addRange(int(a[0]), int(b[0]))
}

type node struct {
	op       opKind
	lit      string  // opLit
	ascii    byteSet // opClass: members below utf8.RuneSelf
	ranges   []rune  // opClass: members from utf8.RuneSelf up, as lo, hi pairs
	subs     []*node // opConcat, opAlt; opRepeat and opCapture have one
	min, max int     // opRepeat; max -1 is unbounded
	cap      int     // opCapture
	first    byteSet // bytes a match of this node can start with
	nullable bool    // whether the node can match the empty string
	single   bool    // opRepeat of one opClass: repeated without recursion
}

// compilePattern compiles expr as regexp.Compile would parse it.
func compilePattern(expr string) (*pattern, error) {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil, err
	}
	re = re.Simplify()
	root, err := build(re)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", expr, err)
	}
	if root.nullable {
		return nil, fmt.Errorf("%s: matches the empty string", expr)
	}
	// Every start byte must be one Go's regexp visits as a rune start:
	// ASCII or a UTF-8 lead byte, never a continuation byte.
	for b := 0x80; b < 0xc0; b++ {
		if root.first.has(byte(b)) {
			return nil, fmt.Errorf("%s: a match may start inside a character", expr)
		}
	}
	p := &pattern{root: root, first: root.first, ncap: re.MaxCap(), names: re.CapNames()}
	prog, err := syntax.Compile(re)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", expr, err)
	}
	p.secondBytes(prog)
	return p, nil
}

// secondBytes fills p.second and p.short by running the compiled program
// one ASCII character at a time over sets of states. Empty-width
// assertions count as met, so the sets can only be too large.
func (p *pattern) secondBytes(prog *syntax.Prog) {
	closure := func(pcs []uint32) (states []uint32, matched bool) {
		seen := make(map[uint32]bool)
		var walk func(pc uint32)
		walk = func(pc uint32) {
			if seen[pc] {
				return
			}
			seen[pc] = true
			in := &prog.Inst[pc]
			switch in.Op {
			case syntax.InstAlt, syntax.InstAltMatch:
				walk(in.Out)
				walk(in.Arg)
			case syntax.InstCapture, syntax.InstNop, syntax.InstEmptyWidth:
				walk(in.Out)
			case syntax.InstMatch:
				matched = true
			case syntax.InstFail:
			default:
				states = append(states, pc)
			}
		}
		for _, pc := range pcs {
			walk(pc)
		}
		return states, matched
	}
	start, _ := closure([]uint32{uint32(prog.Start)})
	for b := 0; b < utf8.RuneSelf; b++ {
		var next []uint32
		for _, pc := range start {
			if prog.Inst[pc].MatchRune(rune(b)) {
				next = append(next, prog.Inst[pc].Out)
			}
		}
		if len(next) == 0 {
			continue
		}
		states, matched := closure(next)
		p.short[b] = matched
		for _, pc := range states {
			in := &prog.Inst[pc]
			switch in.Op {
			case syntax.InstRune1:
				p.second[b].addRune(in.Rune[0], in.Rune[0])
			case syntax.InstRune:
				if len(in.Rune) == 1 {
					p.second[b].addRune(in.Rune[0], in.Rune[0])
				}
				for i := 0; i+1 < len(in.Rune); i += 2 {
					p.second[b].addRune(in.Rune[i], in.Rune[i+1])
				}
			default: // any character
				p.second[b].addRange(0, 0xff)
			}
		}
	}
}

func build(re *syntax.Regexp) (*node, error) {
	if re.Flags&(syntax.FoldCase|syntax.NonGreedy) != 0 {
		return nil, fmt.Errorf("unsupported flags in %s", re)
	}
	n := &node{}
	switch re.Op {
	case syntax.OpEmptyMatch:
		n.op, n.nullable = opEmpty, true
	case syntax.OpLiteral:
		n.op, n.lit = opLit, string(re.Rune)
		n.first.add(n.lit[0])
	case syntax.OpCharClass:
		n.op = opClass
		for i := 0; i+1 < len(re.Rune); i += 2 {
			lo, hi := re.Rune[i], re.Rune[i+1]
			n.first.addRune(lo, hi)
			for r := lo; r <= hi && r < utf8.RuneSelf; r++ {
				n.ascii.add(byte(r))
			}
			if hi >= utf8.RuneSelf {
				n.ranges = append(n.ranges, max(lo, utf8.RuneSelf), hi)
			}
		}
	case syntax.OpConcat, syntax.OpAlternate:
		n.op = opConcat
		if re.Op == syntax.OpAlternate {
			n.op = opAlt
		}
		n.nullable = n.op == opConcat
		for _, s := range re.Sub {
			sub, err := build(s)
			if err != nil {
				return nil, err
			}
			n.subs = append(n.subs, sub)
			if n.op == opAlt {
				n.first.union(sub.first)
				n.nullable = n.nullable || sub.nullable
				continue
			}
			if n.nullable {
				n.first.union(sub.first)
			}
			n.nullable = n.nullable && sub.nullable
		}
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		sub, err := build(re.Sub[0])
		if err != nil {
			return nil, err
		}
		n.op, n.subs, n.first = opRepeat, []*node{sub}, sub.first
		switch re.Op {
		case syntax.OpStar:
			n.min, n.max = 0, -1
		case syntax.OpPlus:
			n.min, n.max = 1, -1
		case syntax.OpQuest:
			n.min, n.max = 0, 1
		default:
			n.min, n.max = re.Min, re.Max
		}
		if sub.nullable && n.max != 1 {
			return nil, fmt.Errorf("repetition of an expression that matches the empty string: %s", re)
		}
		n.nullable = n.min == 0 || sub.nullable
		n.single = sub.op == opClass
	case syntax.OpCapture:
		sub, err := build(re.Sub[0])
		if err != nil {
			return nil, err
		}
		n.op, n.cap, n.subs, n.first, n.nullable = opCapture, re.Cap, []*node{sub}, sub.first, sub.nullable
	case syntax.OpWordBoundary:
		n.op, n.nullable = opWordBoundary, true
	case syntax.OpNoWordBoundary:
		n.op, n.nullable = opNoWordBoundary, true
	default:
		return nil, fmt.Errorf("unsupported operator in %s", re)
	}
	return n, nil
}

// matchClass matches one character of a class at p, returning the position
// after it or -1.
func (n *node) matchClass(s string, p int) int {
	if p >= len(s) {
		return -1
	}
	if c := s[p]; c < utf8.RuneSelf {
		if n.ascii.has(c) {
			return p + 1
		}
		return -1
	}
	if len(n.ranges) == 0 {
		return -1
	}
	r, w := utf8.DecodeRuneInString(s[p:])
	for i := 0; i < len(n.ranges); i += 2 {
		if n.ranges[i] <= r && r <= n.ranges[i+1] {
			return p + w
		}
	}
	return -1
}

// matcher holds one match attempt: the input ends at len(s) and starts, for
// \b, at start; caps has the capture positions, -1 where unset.
type matcher struct {
	s     string
	start int
	caps  []int
}

// cont is what remains to be matched after a node: the rest of a
// concatenation, the end of a capture, or further repetitions.
type cont struct {
	n    *node
	i    int // opConcat: next sub; opRepeat: iterations done
	next *cont
}

// matchAt matches p anchored at pos of s, where the input seen by the
// expression is s[start:]. caps (2*(p.ncap+1) ints) must be all -1; on a
// match they hold its positions in s (reset them before the next
// attempt), and a failed attempt leaves them -1.
func (p *pattern) matchAt(s string, start, pos int, caps []int) bool {
	m := matcher{s: s, start: start, caps: caps}
	e := m.match(p.root, pos, nil)
	if e < 0 {
		return false
	}
	caps[0], caps[1] = pos, e
	return true
}

func isWordByte(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// atWordBoundary is \b at p: word characters are ASCII, so the bytes either
// side decide (a byte of a multibyte rune is never a word character).
func (m *matcher) atWordBoundary(p int) bool {
	before := p > m.start && isWordByte(m.s[p-1])
	after := p < len(m.s) && isWordByte(m.s[p])
	return before != after
}

// match matches n at p and then the continuation k; it returns the end of
// the whole match or -1.
func (m *matcher) match(n *node, p int, k *cont) int {
	switch n.op {
	case opEmpty:
		return m.next(p, k)
	case opLit:
		if !strings.HasPrefix(m.s[p:], n.lit) {
			return -1
		}
		return m.next(p+len(n.lit), k)
	case opClass:
		if q := n.matchClass(m.s, p); q >= 0 {
			return m.next(q, k)
		}
		return -1
	case opConcat:
		if len(n.subs) == 0 {
			return m.next(p, k)
		}
		return m.match(n.subs[0], p, &cont{n: n, i: 1, next: k})
	case opAlt:
		var c byte
		atEnd := p >= len(m.s)
		if !atEnd {
			c = m.s[p]
		}
		for _, s := range n.subs {
			if !s.nullable && (atEnd || !s.first.has(c)) {
				continue
			}
			if e := m.match(s, p, k); e >= 0 {
				return e
			}
		}
		return -1
	case opCapture:
		i := 2 * n.cap
		old0, old1 := m.caps[i], m.caps[i+1]
		m.caps[i] = p
		if e := m.match(n.subs[0], p, &cont{n: n, next: k}); e >= 0 {
			return e
		}
		m.caps[i], m.caps[i+1] = old0, old1
		return -1
	case opRepeat:
		if n.single {
			return m.repeatClass(n, p, k)
		}
		return m.repeat(n, 0, p, k)
	case opWordBoundary:
		if m.atWordBoundary(p) {
			return m.next(p, k)
		}
		return -1
	case opNoWordBoundary:
		if !m.atWordBoundary(p) {
			return m.next(p, k)
		}
		return -1
	}
	return -1
}

// next continues with k at p.
func (m *matcher) next(p int, k *cont) int {
	if k == nil {
		return p
	}
	n := k.n
	switch n.op {
	case opConcat:
		if k.i == len(n.subs) {
			return m.next(p, k.next)
		}
		return m.match(n.subs[k.i], p, &cont{n: n, i: k.i + 1, next: k.next})
	case opCapture:
		i := 2*n.cap + 1
		old := m.caps[i]
		m.caps[i] = p
		if e := m.next(p, k.next); e >= 0 {
			return e
		}
		m.caps[i] = old
		return -1
	case opRepeat:
		return m.repeat(n, k.i, p, k.next)
	}
	return -1
}

// repeat tries one more iteration of n first (greedy), then k.
func (m *matcher) repeat(n *node, done, p int, k *cont) int {
	if n.max < 0 || done < n.max {
		if e := m.match(n.subs[0], p, &cont{n: n, i: done + 1, next: k}); e >= 0 {
			return e
		}
	}
	if done >= n.min {
		return m.next(p, k)
	}
	return -1
}

// repeatClass is repeat for a single character class: take as many as
// allowed, then give them back one by one.
func (m *matcher) repeatClass(n *node, p int, k *cont) int {
	var ends [16]int
	pos := ends[:0]
	pos = append(pos, p)
	for q := p; n.max < 0 || len(pos) <= n.max; {
		q = n.subs[0].matchClass(m.s, q)
		if q < 0 {
			break
		}
		pos = append(pos, q)
	}
	for j := len(pos) - 1; j >= n.min; j-- {
		if e := m.next(pos[j], k); e >= 0 {
			return e
		}
	}
	return -1
}
