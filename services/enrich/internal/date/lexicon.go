package date

import "strings"

// lexicon holds the words one language writes dates with. Keys are lower
// case; regexes are built from them in rules.go.
type lexicon struct {
	months   map[string]int // full names and abbreviations
	bare     []string       // month names safe to take without a day or year
	weekdays map[string]int // time.Weekday values
	// relDays are words for a day relative to the reference: offset in
	// days, and a part of the day ("MO", "AF", "EV", "NI") or "".
	relDays map[string]relDay
	parts   map[string]string // morning -> MO
	// partJoin joins a day word and a part of the day: " " in English,
	// "" (compounds) or " " in Dutch and German, " por la " in Spanish.
	partJoin string
	// pre and post modifiers: last -1, this 0, next +1
	preMods  map[string]int
	postMods map[string]int
	units    map[string]string // week -> W, month -> M, year -> Y, weekend -> WE, day -> D
	// unit words that take an article before a post-modifier ("la semaine
	// dernière"): the article is part of the mention.
	articles []string
	numbers  map[string]int
	// agoBefore/agoAfter frame "N units ago": "vor"/"hace"/"il y a" before,
	// "ago"/"geleden" after.
	agoBefore, agoAfter []string
	ordinals            map[string]int // first -> 1 (quarters)
	quarter             []string
	seasons             map[string]string // summer -> SU
	now                 []string
	yearContext         []string // words after which a bare number is a year
	timeSuffix          []string // "uur", "Uhr", "h", "horas"
	timePrefix          []string // "a las"
	ampm                bool
	monthFirst          bool // "September 14" and 09/14/2020
	dayOf               string
	futureCues          []string
	// capitalised: month and day names must start with a capital letter
	// (English writes them so; "may" and "march" are also verbs)
	capitalised bool
}

type relDay struct {
	offset int
	part   string
}

var lexicons = map[string]*lexicon{
	"en": {
		months: map[string]int{"january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
			"may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "sept": 9, "sep": 9,
			"october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12},
		bare:     []string{"january", "february", "april", "june", "july", "august", "september", "october", "november", "december"},
		weekdays: map[string]int{"sunday": 0, "monday": 1, "tuesday": 2, "wednesday": 3, "thursday": 4, "friday": 5, "saturday": 6},
		relDays: map[string]relDay{"today": {0, ""}, "yesterday": {-1, ""}, "tomorrow": {1, ""}, "tonight": {0, "NI"},
			"the day before yesterday": {-2, ""}, "the day after tomorrow": {2, ""}, "this morning": {0, "MO"},
			"this afternoon": {0, "AF"}, "this evening": {0, "EV"}, "last night": {-1, "NI"}},
		parts:    map[string]string{"morning": "MO", "afternoon": "AF", "evening": "EV", "night": "NI"},
		partJoin: " ",
		preMods: map[string]int{"last": -1, "previous": -1, "this": 0, "next": 1, "coming": 1, "earlier this": 0,
			"later this": 0, "early this": 0, "late this": 0, "early next": 1, "late next": 1, "early last": -1, "late last": -1},
		units:    map[string]string{"week": "W", "month": "M", "year": "Y", "weekend": "WE", "day": "D", "days": "D", "weeks": "W", "months": "M", "years": "Y"},
		numbers:  map[string]int{"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "several": 0},
		agoAfter: []string{"ago", "earlier", "before"},
		ordinals: map[string]int{"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4},
		quarter:  []string{"quarter"},
		seasons:  map[string]string{"spring": "SP", "summer": "SU", "fall": "FA", "autumn": "FA", "winter": "WI"},
		now:      []string{"now", "currently", "at present", "nowadays"},
		yearContext: []string{"in", "since", "until", "by", "from", "of", "for", "during", "before", "after", "between",
			"early", "late", "mid", "fiscal", "the", "through", "around", "year", "since early", "end of", "until"},
		timeSuffix:  nil,
		ampm:        true,
		monthFirst:  true,
		dayOf:       "of",
		capitalised: true,
		futureCues:  []string{"will", "'ll", "next", "plans", "planned", "scheduled", "expected", "going to", "shall", "due to", "tomorrow"},
	},
	"nl": {
		months: map[string]int{"januari": 1, "jan": 1, "februari": 2, "feb": 2, "maart": 3, "mrt": 3, "april": 4, "apr": 4,
			"mei": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7, "augustus": 8, "aug": 8, "september": 9, "sept": 9, "sep": 9,
			"oktober": 10, "okt": 10, "november": 11, "nov": 11, "december": 12, "dec": 12},
		bare:     []string{"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"},
		weekdays: map[string]int{"zondag": 0, "maandag": 1, "dinsdag": 2, "woensdag": 3, "donderdag": 4, "vrijdag": 5, "zaterdag": 6},
		relDays: map[string]relDay{"vandaag": {0, ""}, "gisteren": {-1, ""}, "morgen": {1, ""}, "eergisteren": {-2, ""}, "overmorgen": {2, ""},
			"vanochtend": {0, "MO"}, "vanmorgen": {0, "MO"}, "vanmiddag": {0, "AF"}, "vanavond": {0, "EV"}, "vannacht": {0, "NI"},
			"gisterochtend": {-1, "MO"}, "gistermorgen": {-1, "MO"}, "gistermiddag": {-1, "AF"}, "gisteravond": {-1, "EV"}, "gisternacht": {-1, "NI"},
			"morgenochtend": {1, "MO"}, "morgenmiddag": {1, "AF"}, "morgenavond": {1, "EV"}},
		parts:    map[string]string{"ochtend": "MO", "morgen": "MO", "middag": "AF", "avond": "EV", "nacht": "NI"},
		partJoin: "",
		preMods:  map[string]int{"vorige": -1, "vorig": -1, "afgelopen": -1, "deze": 0, "dit": 0, "volgende": 1, "volgend": 1, "komende": 1, "komend": 1},
		units:    map[string]string{"week": "W", "maand": "M", "jaar": "Y", "weekend": "WE", "dag": "D", "dagen": "D", "weken": "W", "maanden": "M", "jaren": "Y"},
		numbers:  map[string]int{"een": 1, "één": 1, "twee": 2, "drie": 3, "vier": 4, "vijf": 5, "zes": 6, "zeven": 7, "acht": 8, "negen": 9, "tien": 10, "elf": 11, "twaalf": 12},
		agoAfter: []string{"geleden"},
		ordinals: map[string]int{"eerste": 1, "tweede": 2, "derde": 3, "vierde": 4},
		quarter:  []string{"kwartaal"},
		seasons:  map[string]string{"voorjaar": "SP", "lente": "SP", "zomer": "SU", "najaar": "FA", "herfst": "FA", "winter": "WI"},
		yearContext: []string{"in", "sinds", "tot", "van", "vanaf", "na", "voor", "rond", "begin", "eind", "eind", "medio", "jaar", "sedert",
			"het", "tussen", "halverwege"},
		timeSuffix: []string{"uur"},
		futureCues: []string{"zal", "zullen", "gaat", "gaan", "volgende", "komende", "morgen", "wil", "moet"},
	},
	"de": {
		months: map[string]int{"januar": 1, "jänner": 1, "jan": 1, "februar": 2, "feb": 2, "märz": 3, "mär": 3, "april": 4, "apr": 4,
			"mai": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "sept": 9, "sep": 9,
			"oktober": 10, "okt": 10, "november": 11, "nov": 11, "dezember": 12, "dez": 12},
		bare:     []string{"januar", "jänner", "februar", "märz", "april", "mai", "juni", "juli", "august", "september", "oktober", "november", "dezember"},
		weekdays: map[string]int{"sonntag": 0, "montag": 1, "dienstag": 2, "mittwoch": 3, "donnerstag": 4, "freitag": 5, "samstag": 6, "sonnabend": 6},
		relDays: map[string]relDay{"heute": {0, ""}, "morgen": {1, ""}, "gestern": {-1, ""}, "vorgestern": {-2, ""}, "übermorgen": {2, ""},
			"heute morgen": {0, "MO"}, "heute früh": {0, "MO"}, "heute vormittag": {0, "MO"}, "heute nachmittag": {0, "AF"}, "heute abend": {0, "EV"}, "heute nacht": {0, "NI"},
			"gestern morgen": {-1, "MO"}, "gestern früh": {-1, "MO"}, "gestern nachmittag": {-1, "AF"}, "gestern abend": {-1, "EV"}, "gestern nacht": {-1, "NI"},
			"morgen früh": {1, "MO"}, "morgen abend": {1, "EV"}},
		parts:    map[string]string{"morgen": "MO", "vormittag": "MO", "nachmittag": "AF", "abend": "EV", "nacht": "NI"},
		partJoin: "",
		preMods: map[string]int{"letzte": -1, "letzten": -1, "letztes": -1, "vergangene": -1, "vergangenen": -1, "vergangenes": -1,
			"vorige": -1, "vorigen": -1, "voriges": -1, "diese": 0, "diesen": 0, "dieses": 0, "nächste": 1, "nächsten": 1, "nächstes": 1,
			"kommende": 1, "kommenden": 1, "kommendes": 1},
		units: map[string]string{"woche": "W", "monat": "M", "monats": "M", "jahr": "Y", "jahres": "Y", "wochenende": "WE", "tag": "D", "tagen": "D",
			"wochen": "W", "monaten": "M", "jahren": "Y"},
		numbers:   map[string]int{"einem": 1, "einer": 1, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "sechs": 6, "sieben": 7, "acht": 8, "neun": 9, "zehn": 10, "elf": 11, "zwölf": 12},
		agoBefore: []string{"vor"},
		ordinals:  map[string]int{"ersten": 1, "zweiten": 2, "dritten": 3, "vierten": 4, "erste": 1, "zweite": 2, "dritte": 3, "vierte": 4},
		quarter:   []string{"quartal"},
		seasons:   map[string]string{"frühling": "SP", "frühjahr": "SP", "sommer": "SU", "herbst": "FA", "winter": "WI"},
		yearContext: []string{"im", "in", "seit", "bis", "von", "ab", "nach", "vor", "jahr", "jahre", "jahres", "anfang", "ende", "mitte",
			"um", "zwischen", "frühjahr", "sommer", "herbst", "winter"},
		timeSuffix: []string{"uhr"},
		futureCues: []string{"wird", "werden", "nächste", "nächsten", "kommende", "kommenden", "soll", "sollen", "will", "wollen"},
	},
	"fr": {
		months: map[string]int{"janvier": 1, "janv": 1, "février": 2, "fevrier": 2, "févr": 2, "mars": 3, "avril": 4, "avr": 4,
			"mai": 5, "juin": 6, "juillet": 7, "juil": 7, "août": 8, "aout": 8, "septembre": 9, "sept": 9, "octobre": 10, "oct": 10,
			"novembre": 11, "nov": 11, "décembre": 12, "decembre": 12, "déc": 12}, //nolint:misspell // French written without accents
		bare:     []string{"janvier", "février", "avril", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"},
		weekdays: map[string]int{"dimanche": 0, "lundi": 1, "mardi": 2, "mercredi": 3, "jeudi": 4, "vendredi": 5, "samedi": 6},
		relDays: map[string]relDay{"aujourd'hui": {0, ""}, "aujourd’hui": {0, ""}, "hier": {-1, ""}, "demain": {1, ""}, "avant-hier": {-2, ""},
			"après-demain": {2, ""}, "ce matin": {0, "MO"}, "cet après-midi": {0, "AF"}, "ce soir": {0, "EV"}, "cette nuit": {0, "NI"},
			"hier matin": {-1, "MO"}, "hier après-midi": {-1, "AF"}, "hier soir": {-1, "EV"}, "demain matin": {1, "MO"}, "demain soir": {1, "EV"}},
		parts:    map[string]string{"matin": "MO", "après-midi": "AF", "soir": "EV", "nuit": "NI"},
		partJoin: " ",
		preMods:  map[string]int{"cette": 0, "ce": 0, "cet": 0},
		postMods: map[string]int{"dernier": -1, "dernière": -1, "passé": -1, "passée": -1, "prochain": 1, "prochaine": 1},
		units: map[string]string{"semaine": "W", "mois": "M", "année": "Y", "an": "Y", "week-end": "WE", "jour": "D", "jours": "D",
			"semaines": "W", "ans": "Y", "années": "Y"},
		articles:  []string{"la", "le", "l'", "l’"},
		numbers:   map[string]int{"un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8, "neuf": 9, "dix": 10, "onze": 11, "douze": 12},
		agoBefore: []string{"il y a"},
		ordinals:  map[string]int{"premier": 1, "deuxième": 2, "second": 2, "troisième": 3, "quatrième": 4},
		quarter:   []string{"trimestre"},
		seasons:   map[string]string{"printemps": "SP", "été": "SU", "automne": "FA", "hiver": "WI"},
		yearContext: []string{"en", "depuis", "jusqu'en", "de", "dès", "avant", "après", "début", "fin", "mi", "année", "l'an", "entre",
			"courant"},
		timeSuffix: []string{"h", "heures"},
		dayOf:      "",
		futureCues: []string{"va", "vont", "sera", "seront", "prochain", "prochaine", "devra", "doit", "aura"},
	},
	"es": {
		months: map[string]int{"enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7, "agosto": 8,
			"septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12},
		bare:     []string{"enero", "febrero", "marzo", "abril", "junio", "julio", "agosto", "septiembre", "setiembre", "octubre", "noviembre", "diciembre"},
		weekdays: map[string]int{"domingo": 0, "lunes": 1, "martes": 2, "miércoles": 3, "miercoles": 3, "jueves": 4, "viernes": 5, "sábado": 6, "sabado": 6},
		relDays: map[string]relDay{"hoy": {0, ""}, "mañana": {1, ""}, "ayer": {-1, ""}, "anteayer": {-2, ""}, "antier": {-2, ""}, "pasado mañana": {2, ""},
			"anoche": {-1, "NI"}, "esta mañana": {0, "MO"}, "esta tarde": {0, "AF"}, "esta noche": {0, "NI"},
			"ayer por la mañana": {-1, "MO"}, "ayer por la tarde": {-1, "AF"}, "ayer por la noche": {-1, "NI"},
			"mañana por la mañana": {1, "MO"}, "mañana por la tarde": {1, "AF"}},
		parts:    map[string]string{"mañana": "MO", "tarde": "AF", "noche": "NI"},
		partJoin: " por la ",
		preMods:  map[string]int{"este": 0, "esta": 0, "próximo": 1, "próxima": 1},
		postMods: map[string]int{"pasado": -1, "pasada": -1, "próximo": 1, "próxima": 1, "que viene": 1},
		units: map[string]string{"semana": "W", "mes": "M", "año": "Y", "fin de semana": "WE", "día": "D", "días": "D", "semanas": "W",
			"meses": "M", "años": "Y"},
		articles:  []string{"la", "el"},
		numbers:   map[string]int{"un": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7, "ocho": 8, "nueve": 9, "diez": 10, "once": 11, "doce": 12},
		agoBefore: []string{"hace"},
		ordinals:  map[string]int{"primer": 1, "segundo": 2, "tercer": 3, "cuarto": 4},
		quarter:   []string{"trimestre"},
		seasons:   map[string]string{"primavera": "SP", "verano": "SU", "otoño": "FA", "invierno": "WI"},
		yearContext: []string{"en", "desde", "hasta", "de", "del", "año", "antes", "después", "principios", "finales", "mediados", "entre",
			"durante"},
		timeSuffix: []string{"horas", "h"},
		timePrefix: []string{"a las", "las"},
		dayOf:      "de",
		futureCues: []string{"será", "serán", "va a", "van a", "próximo", "próxima", "tendrá", "deberá", "mañana"},
	},
}

// IsWeekday reports whether word, in any case, names a day of the week in
// the language lang (ISO 639-1; false for a language without a lexicon).
func IsWeekday(lang, word string) bool {
	lx := lexicons[lang]
	if lx == nil {
		return false
	}
	_, ok := lx.weekdays[strings.ToLower(word)]
	return ok
}
