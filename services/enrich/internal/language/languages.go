package language

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// script is a writing system; a word belongs to a script when all its letters do.
type script uint8

const (
	scriptOther script = iota
	scriptLatin
	scriptCyrillic
	scriptGreek
	scriptArabic
	scriptHebrew
	scriptDevanagari
	scriptBengali
	scriptTamil
	scriptThai
	scriptGeorgian
	scriptArmenian
	scriptHan
	scriptKana
	scriptHangul
	numScripts
)

// lang describes one language the detector knows.
type lang struct {
	code   string // ISO 639-1, the code the tagger reports
	name   string
	script script
	// unique letters that, among the supported languages, only this one uses
	unique string
	// linguaDir is the folder of the lingua-go model; empty for languages
	// whose model this package trains itself (see trained.go).
	linguaDir string
	// marker, when set, must accept the text for the language to be a
	// candidate: trained models are small and would otherwise win on
	// n-grams they have never seen.
	marker func(text string) bool
}

// supported lists every language the detector can be configured with.
// Languages with a script of their own (Greek, Hebrew, Thai, Korean, ...) are
// told by the script alone.
var supported = []lang{
	{code: "af", name: "Afrikaans", script: scriptLatin, linguaDir: "af"},
	{code: "ar", name: "Arabic", script: scriptArabic, linguaDir: "ar"},
	{code: "az", name: "Azerbaijani", script: scriptLatin, unique: "Əə", linguaDir: "az"},
	{code: "be", name: "Belarusian", script: scriptCyrillic, unique: "Ўў", linguaDir: "be"},
	{code: "bg", name: "Bulgarian", script: scriptCyrillic, linguaDir: "bg"},
	{code: "bn", name: "Bengali", script: scriptBengali, linguaDir: "bn"},
	{code: "bs", name: "Bosnian", script: scriptLatin, linguaDir: "bs"},
	{code: "ca", name: "Catalan", script: scriptLatin, unique: "Ïï", linguaDir: "ca"},
	{code: "cs", name: "Czech", script: scriptLatin, unique: "ĚěŘřŮů", linguaDir: "cs"},
	{code: "cy", name: "Welsh", script: scriptLatin, unique: "Ŵŵ", linguaDir: "cy"},
	{code: "da", name: "Danish", script: scriptLatin, linguaDir: "da"},
	{code: "de", name: "German", script: scriptLatin, unique: "ß", linguaDir: "de"},
	{code: "el", name: "Greek", script: scriptGreek, linguaDir: "el"},
	{code: "en", name: "English", script: scriptLatin, linguaDir: "en"},
	{code: "eo", name: "Esperanto", script: scriptLatin, unique: "ĈĉĜĝĤĥĴĵŜŝŬŭ", linguaDir: "eo"},
	{code: "es", name: "Spanish", script: scriptLatin, linguaDir: "es"},
	{code: "et", name: "Estonian", script: scriptLatin, linguaDir: "et"},
	{code: "eu", name: "Basque", script: scriptLatin, linguaDir: "eu"},
	{code: "fa", name: "Persian", script: scriptArabic, linguaDir: "fa"},
	{code: "fi", name: "Finnish", script: scriptLatin, linguaDir: "fi"},
	{code: "fr", name: "French", script: scriptLatin, linguaDir: "fr"},
	{code: "ga", name: "Irish", script: scriptLatin, linguaDir: "ga"},
	{code: "he", name: "Hebrew", script: scriptHebrew, linguaDir: "he"},
	{code: "hi", name: "Hindi", script: scriptDevanagari, linguaDir: "hi"},
	{code: "hr", name: "Croatian", script: scriptLatin, linguaDir: "hr"},
	{code: "hu", name: "Hungarian", script: scriptLatin, unique: "ŐőŰű", linguaDir: "hu"},
	{code: "hy", name: "Armenian", script: scriptArmenian, linguaDir: "hy"},
	{code: "id", name: "Indonesian", script: scriptLatin, linguaDir: "id"},
	{code: "is", name: "Icelandic", script: scriptLatin, linguaDir: "is"},
	{code: "it", name: "Italian", script: scriptLatin, linguaDir: "it"},
	{code: "ja", name: "Japanese", script: scriptKana, linguaDir: "ja"},
	{code: "ka", name: "Georgian", script: scriptGeorgian, linguaDir: "ka"},
	{code: "kk", name: "Kazakh", script: scriptCyrillic, unique: "ӘәҒғҚқҢңҰұ", linguaDir: "kk"},
	{code: "ko", name: "Korean", script: scriptHangul, linguaDir: "ko"},
	{code: "la", name: "Latin", script: scriptLatin, linguaDir: "la"},
	{code: "lt", name: "Lithuanian", script: scriptLatin, unique: "ĖėĮįŲų", linguaDir: "lt"},
	{code: "lv", name: "Latvian", script: scriptLatin, unique: "ĢģĶķĻļŅņ", linguaDir: "lv"},
	{code: "mk", name: "Macedonian", script: scriptCyrillic, unique: "ЃѓЅѕЌќЏџ", linguaDir: "mk"},
	{code: "mn", name: "Mongolian", script: scriptCyrillic, unique: "ӨөҮү", linguaDir: "mn"},
	{code: "mr", name: "Marathi", script: scriptDevanagari, unique: "ळ", linguaDir: "mr"},
	{code: "ms", name: "Malay", script: scriptLatin, linguaDir: "ms"},
	{code: "mt", name: "Maltese", script: scriptLatin, unique: "ĦħĠġĊċ", marker: hasMalteseMarks},
	{code: "nb", name: "Norwegian Bokmål", script: scriptLatin, linguaDir: "nb"},
	{code: "nl", name: "Dutch", script: scriptLatin, linguaDir: "nl"},
	{code: "nn", name: "Norwegian Nynorsk", script: scriptLatin, linguaDir: "nn"},
	{code: "pl", name: "Polish", script: scriptLatin, unique: "ŁłŃńŚśŹź", linguaDir: "pl"},
	{code: "pt", name: "Portuguese", script: scriptLatin, linguaDir: "pt"},
	{code: "ro", name: "Romanian", script: scriptLatin, unique: "ȚțŢţ", linguaDir: "ro"},
	{code: "ru", name: "Russian", script: scriptCyrillic, linguaDir: "ru"},
	{code: "sk", name: "Slovak", script: scriptLatin, unique: "ĹĺĽľŔŕ", linguaDir: "sk"},
	{code: "sl", name: "Slovene", script: scriptLatin, linguaDir: "sl"},
	{code: "sq", name: "Albanian", script: scriptLatin, linguaDir: "sq"},
	{code: "sr", name: "Serbian", script: scriptCyrillic, unique: "ЂђЋћ", linguaDir: "sr"},
	{code: "sv", name: "Swedish", script: scriptLatin, linguaDir: "sv"},
	{code: "sw", name: "Swahili", script: scriptLatin, linguaDir: "sw"},
	{code: "ta", name: "Tamil", script: scriptTamil, linguaDir: "ta"},
	{code: "th", name: "Thai", script: scriptThai, linguaDir: "th"},
	{code: "tl", name: "Tagalog", script: scriptLatin, linguaDir: "tl"},
	{code: "tr", name: "Turkish", script: scriptLatin, linguaDir: "tr"},
	{code: "uk", name: "Ukrainian", script: scriptCyrillic, unique: "ҐґЄєЇї", linguaDir: "uk"},
	{code: "ur", name: "Urdu", script: scriptArabic, linguaDir: "ur"},
	{code: "vi", name: "Vietnamese", script: scriptLatin, unique: "ẰằẦầẲẳẨẩẴẵẪẫẮắẤấẠạẶặẬậỀềẺẻỂểẼẽỄễẾếỆệỈỉĨĩỊịƠơỒồỜờỎỏỔổỞởỖỗỠỡỐốỚớỘộỢợƯưỪừỦủỬửŨũỮữỨứỤụỰựỲỳỶỷỸỹỴỵ", linguaDir: "vi"},
	{code: "zh", name: "Chinese", script: scriptHan, linguaDir: "zh"},
}

// hasMalteseMarks reports whether text shows Maltese letters or article
// forms ("il-gvern", "tal-pulizija", "fis-sena", "ta'"): what the regular
// expression
//
//	(?i)[ħġċż]|għ|(?:^|[^\pL])(?:il|l|tal|fil|mil|mill|bil|għall|lill|sal|tas|tat|taż|tad|tar|tan|tax|fis|fit|fid|fix|fir|fl|is|it|id|ix|iż|in|ir|ta)-\pL|\bta'
//
// matches, in one pass without a regexp engine (the test holds it to that
// expression).
func hasMalteseMarks(text string) bool {
	for i, r := range text {
		switch r {
		case 'ħ', 'Ħ', 'ġ', 'Ġ', 'ċ', 'Ċ', 'ż', 'Ż':
			return true
		case '-':
			// the whole run of letters before the hyphen is an article
			// form, and a letter follows
			j := i
			for j > 0 && i-j <= maxArticle {
				c, size := utf8.DecodeLastRuneInString(text[:j])
				if !foldLetter(c) {
					break
				}
				j -= size
			}
			if j == i || i-j > maxArticle {
				continue
			}
			if next, _ := utf8.DecodeRuneInString(text[i+1:]); i+1 < len(text) && foldLetter(next) && malteseArticle(text[j:i]) {
				return true
			}
		case '\'':
			// \bta': no ASCII word character before "ta"
			if i >= 2 && (text[i-2] == 't' || text[i-2] == 'T') && (text[i-1] == 'a' || text[i-1] == 'A') &&
				(i == 2 || !isASCIIWordByte(text[i-3])) {
				return true
			}
		}
	}
	return false
}

var malteseArticles = []string{"il", "l", "tal", "fil", "mil", "mill", "bil", "għall", "lill", "sal", "tas", "tat", "taż", "tad",
	"tar", "tan", "tax", "fis", "fit", "fid", "fix", "fir", "fl", "is", "it", "id", "ix", "iż", "in", "ir", "ta"}

// maxArticle bounds the bytes of an article form in any case ("GĦALL").
const maxArticle = 16

// foldLetter is \pL under (?i): a letter, or a character whose case
// variants include one (U+0345 folds with iota).
func foldLetter(r rune) bool {
	if unicode.IsLetter(r) {
		return true
	}
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if unicode.IsLetter(f) {
			return true
		}
	}
	return false
}

func malteseArticle(w string) bool {
	for _, a := range malteseArticles {
		if strings.EqualFold(w, a) {
			return true
		}
	}
	return false
}

func isASCIIWordByte(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// aliases maps codes accepted in configuration to the code reported.
var aliases = map[string]string{"no": "nb"}

// sharedLetters are letters that only a few languages use; a text where at
// least half the words carry one of them is narrowed to those languages
// (the same rule lingua-go applies, with Maltese added).
var sharedLetters = []struct {
	letters string
	codes   []string
}{
	{"Ãã", []string{"pt", "vi"}},
	{"ĄąĘę", []string{"lt", "pl"}},
	{"Żż", []string{"pl", "ro", "mt"}},
	{"Îî", []string{"fr", "ro"}},
	{"Ññ", []string{"eu", "es"}},
	{"ŇňŤť", []string{"cs", "sk"}},
	{"Ăă", []string{"ro", "vi"}},
	{"İıĞğ", []string{"az", "tr"}},
	{"ЈјЉљЊњ", []string{"mk", "sr"}},
	{"ÐðÞþ", []string{"is", "tr"}},
	{"Ûû", []string{"fr", "hu"}},
	{"ĀāĒēĪī", []string{"lv"}},
	{"Şş", []string{"az", "ro", "tr"}},
	{"Ďď", []string{"cs", "ro", "sk"}},
	{"Ćć", []string{"bs", "hr", "pl"}},
	{"Đđ", []string{"bs", "hr", "vi"}},
	{"Іі", []string{"be", "kk", "uk"}},
	{"Ìì", []string{"it", "vi", "mt"}},
	{"Øø", []string{"nb", "da", "nn"}},
	{"Ūū", []string{"lv", "lt"}},
	{"Ëë", []string{"af", "sq", "nl", "fr"}},
	{"ÈèÙù", []string{"fr", "it", "vi", "mt"}},
	{"Êê", []string{"af", "fr", "pt", "vi"}},
	{"Õõ", []string{"et", "hu", "pt", "vi"}},
	{"Ôô", []string{"fr", "pt", "sk", "vi"}},
	{"ЁёЫыЭэ", []string{"be", "kk", "mn", "ru"}},
	{"ЩщЪъ", []string{"bg", "kk", "mn", "ru"}},
	{"Òò", []string{"ca", "it", "vi", "mt"}},
	{"Ææ", []string{"nb", "da", "is", "nn"}},
	{"Åå", []string{"nb", "da", "nn", "sv"}},
	{"Ýý", []string{"cs", "is", "sk", "tr", "vi"}},
	{"Ää", []string{"et", "fi", "de", "sk", "sv"}},
	{"Àà", []string{"ca", "fr", "it", "pt", "vi", "mt"}},
	{"Ââ", []string{"fr", "pt", "ro", "tr", "vi"}},
	{"Üü", []string{"az", "ca", "et", "de", "hu", "es", "tr"}},
	{"ČčŠšŽž", []string{"bs", "cs", "hr", "lv", "lt", "sk", "sl"}},
	{"Çç", []string{"sq", "az", "eu", "ca", "fr", "pt", "tr"}},
	{"Öö", []string{"az", "et", "fi", "de", "hu", "is", "sv", "tr"}},
	{"Óó", []string{"ca", "hu", "is", "ga", "pl", "pt", "sk", "es", "vi"}},
	{"ÁáÍíÚú", []string{"ca", "cs", "is", "ga", "hu", "pt", "sk", "es", "vi"}},
	{"Éé", []string{"ca", "cs", "fr", "hu", "is", "ga", "it", "pt", "sk", "es", "vi"}},
}

// DefaultLanguages is the language set detected unless configured otherwise:
// every official EU language, the other languages European news most often
// carries, and major world languages, most of them in scripts of their own.
// Languages that short news text confuses with a bigger neighbour (Catalan
// with Spanish, Bosnian with Croatian, Nynorsk with Bokmål, Afrikaans with
// Dutch, Indonesian and Malay with the Scandinavian languages on short
// phrases) are left out by default; add them with -languages when a source
// needs them.
var DefaultLanguages = []string{
	// official EU languages
	"bg", "hr", "cs", "da", "nl", "en", "et", "fi", "fr", "de", "el", "hu", "ga", "it", "lv", "lt",
	"mt", "pl", "pt", "ro", "sk", "sl", "es", "sv",
	// wider Europe
	"ru", "uk", "be", "nb", "tr", "eu", "sq", "mk", "sr", "is",
	// world languages
	"ar", "zh", "ja", "ko", "he", "fa", "hi", "vi", "ka", "hy", "th", "bn", "ta", "sw",
}

// SupportedLanguages returns the ISO 639-1 codes the detector can be
// configured with.
func SupportedLanguages() []string {
	out := make([]string, len(supported))
	for i, l := range supported {
		out[i] = l.code
	}
	return out
}

// resolveCodes turns configured codes into indexes of supported, sorted and
// without duplicates.
func resolveCodes(codes []string) ([]int, error) {
	var idx []int
	for _, c := range codes {
		c = strings.ToLower(strings.TrimSpace(c))
		if a, ok := aliases[c]; ok {
			c = a
		}
		i := slices.IndexFunc(supported, func(l lang) bool { return l.code == c })
		if i < 0 {
			return nil, fmt.Errorf("%w: %q", ErrUnsupported, c)
		}
		if !slices.Contains(idx, i) {
			idx = append(idx, i)
		}
	}
	if len(idx) < 2 {
		return nil, fmt.Errorf("%w: need at least two languages, got %d", ErrUnsupported, len(idx))
	}
	slices.Sort(idx)
	return idx, nil
}
