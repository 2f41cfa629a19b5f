package corpus

import "strings"

// nationalitiesMISC relabels a one-word LOC that is an English word for a
// nationality or people ("Iraqi", "Israelis", "Australian") as MISC, as
// CoNLL-2003, Wikigold and CoNLL-2002 annotate them. The Broad Twitter
// Corpus and WNUT tag them LOC, which taught the English model that
// "Iranian officials" is a place; nationalities are among the commonest
// MISC in news.
func nationalitiesMISC(docs []Doc) []Doc {
	for _, d := range docs {
		for _, s := range d.Sentences {
			for i, t := range s.Tags {
				single := i+1 == len(s.Tags) || !strings.HasPrefix(s.Tags[i+1], "I-")
				if t == "B-LOC" && single && Nationality(s.Words[i]) {
					s.Tags[i] = "B-MISC"
				}
			}
		}
	}
	return docs
}

// Nationality says whether w is an English adjective or noun of
// nationality, region or people, in the singular or plural ("Iraqi",
// "Iraqis"), written with a capital.
func Nationality(w string) bool {
	if w == "" || w[0] < 'A' || w[0] > 'Z' {
		return false
	}
	return nationalities[w] || (strings.HasSuffix(w, "s") && nationalities[w[:len(w)-1]])
}

// nationalities: countries' and regions' adjectives and peoples, English.
var nationalities = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`
Afghan Albanian Algerian American Andorran Angolan Argentine Argentinian Armenian Australian Austrian
Azerbaijani Azeri Bahamian Bahraini Bangladeshi Barbadian Belarusian Belgian Belizean Beninese Bhutanese
Bolivian Bosnian Botswanan Brazilian British Bruneian Bulgarian Burkinabe Burmese Burundian Cambodian
Cameroonian Canadian Chadian Chilean Chinese Colombian Congolese Croat Croatian Cuban Cypriot Czech Danish
Djiboutian Dominican Dutch Ecuadorean Ecuadorian Egyptian Emirati English Eritrean Estonian Ethiopian
Fijian Filipino Finnish French Gabonese Gambian Georgian German Ghanaian Greek Grenadian Guatemalan
Guinean Guyanese Haitian Honduran Hungarian Icelandic Indian Indonesian Iranian Iraqi Irish Israeli
Italian Ivorian Jamaican Japanese Jordanian Kazakh Kenyan Korean Kosovan Kuwaiti Kyrgyz Lao Laotian
Latvian Lebanese Liberian Libyan Liechtensteiner Lithuanian Luxembourgish Macedonian Malagasy Malawian
Malaysian Maldivian Malian Maltese Mauritanian Mauritian Mexican Moldovan Monegasque Mongolian
Montenegrin Moroccan Mozambican Namibian Nepalese Nepali Nicaraguan Nigerian Nigerien Norwegian Omani
Pakistani Palestinian Panamanian Paraguayan Peruvian Polish Portuguese Qatari Romanian Russian Rwandan
Salvadoran Samoan Saudi Scottish Senegalese Serb Serbian Singaporean Slovak Slovakian Slovene
Slovenian Somali Spanish Sudanese Surinamese Swazi Swedish Swiss Syrian Taiwanese Tajik Tanzanian Thai
Tibetan Togolese Tongan Trinidadian Tunisian Turkish Turkmen Ugandan Ukrainian Uruguayan Uzbek
Venezuelan Vietnamese Welsh Yemeni Yugoslav Zambian Zimbabwean
African Arab Arabian Asian Balkan Baltic Basque Breton Caribbean Catalan Caucasian Chechen Cornish
European Flemish Kurdish Kurd Latin Mediterranean Nordic Pashtun Scandinavian Sikh Tamil Tatar Tutsi
Hutu Walloon Albertan Californian Texan Victorian Quebecois Bavarian Sicilian Tuscan Corsican
Jew Jewish Muslim Moslem Christian Catholic Protestant Sunni Shi'ite Shiite Hindu Buddhist
`) {
		m[w] = true
	}
	return m
}()
