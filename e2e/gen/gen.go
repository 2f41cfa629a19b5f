// Package gen writes synthetic news articles for tests and benchmarks: raw
// articles in five languages, built from templates with a seeded random
// source, so a run can be replayed exactly. The text is the project's own.
package gen

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/newsflow/newsflow/pkg/article"
)

type lang struct {
	code      string
	sentences []string
	heads     []string
	people    []string
	places    []string
	orgs      []string
	months    []string
}

var langs = []lang{
	{
		code: "en",
		sentences: []string{
			"%[1]s told reporters in %[2]s on %[6]s that the plan would cost about %[4]d million euros.",
			"The %[3]s said it expected the work in %[2]s to be finished by %[5]d %[7]s.",
			"Critics in %[2]s warned that the project could be delayed by disputes over permits.",
			"\"We have waited long enough,\" %[1]s said after a meeting with the %[3]s.",
			"According to the %[3]s, about %[4]d people took part in the protest in %[2]s.",
			"Prices rose by %[5]d percent last month, the highest increase since the spring.",
			"The decision was welcomed by local businesses, although some residents remain sceptical.",
			"Talks between the %[3]s and the unions will continue next week in %[2]s.",
		},
		heads:  []string{"Reactions from the region", "What happens next", "A long dispute"},
		people: []string{"Anne de Vries", "John Miller", "Sarah Okafor", "David Chen", "Maria Lopez"},
		places: []string{"Rotterdam", "London", "Dublin", "Manchester", "Brussels"},
		orgs:   []string{"European Commission", "city council", "Bank of England", "United Nations"},
		months: []string{"January", "March", "May", "September", "November"},
	},
	{
		code: "nl",
		sentences: []string{
			"%[1]s zei %[6]s in %[2]s dat het plan ongeveer %[4]d miljoen euro gaat kosten.",
			"De %[3]s verwacht dat het werk in %[2]s uiterlijk %[5]d %[7]s klaar is.",
			"Critici in %[2]s waarschuwen dat het project vertraging kan oplopen door vergunningen.",
			"\"We hebben lang genoeg gewacht\", zei %[1]s na een overleg met de %[3]s.",
			"Volgens de %[3]s deden ongeveer %[4]d mensen mee aan het protest in %[2]s.",
			"De prijzen stegen vorige maand met %[5]d procent, de grootste stijging sinds het voorjaar.",
			"Ondernemers in de stad zijn blij met het besluit, maar veel bewoners blijven sceptisch.",
			"Het overleg tussen de %[3]s en de vakbonden gaat volgende week verder in %[2]s.",
		},
		heads:  []string{"Reacties uit de regio", "Hoe nu verder", "Een lang conflict"},
		people: []string{"Lot van Hooijdonk", "Jan de Boer", "Fatima el Amrani", "Pieter Jansen"},
		places: []string{"Utrecht", "Amsterdam", "Groningen", "Antwerpen", "Den Haag"},
		orgs:   []string{"gemeenteraad", "Tweede Kamer", "provincie Utrecht", "Europese Commissie"},
		months: []string{"januari", "maart", "mei", "september", "november"},
	},
	{
		code: "de",
		sentences: []string{
			"%[1]s sagte am %[6]s in %[2]s, der Plan werde etwa %[4]d Millionen Euro kosten.",
			"Die %[3]s rechnet damit, dass die Arbeiten in %[2]s bis zum %[5]d. %[7]s abgeschlossen sind.",
			"Kritiker in %[2]s warnen, das Projekt könne sich wegen fehlender Genehmigungen verzögern.",
			"\"Wir haben lange genug gewartet\", sagte %[1]s nach einem Treffen mit der %[3]s.",
			"Nach Angaben der %[3]s nahmen rund %[4]d Menschen an dem Protest in %[2]s teil.",
			"Die Preise stiegen im vergangenen Monat um %[5]d Prozent, so stark wie seit dem Frühjahr nicht.",
			"Die Unternehmen begrüßten die Entscheidung, viele Anwohner bleiben jedoch skeptisch.",
			"Die Gespräche zwischen der %[3]s und den Gewerkschaften gehen nächste Woche in %[2]s weiter.",
		},
		heads:  []string{"Reaktionen aus der Region", "Wie es weitergeht", "Ein langer Streit"},
		people: []string{"Claus Weselsky", "Anna Schmidt", "Jürgen Weber", "Leyla Demir"},
		places: []string{"Berlin", "Hamburg", "München", "Frankfurt", "Köln"},
		orgs:   []string{"Bundesregierung", "Deutsche Bahn", "Stadtverwaltung", "Europäische Kommission"},
		months: []string{"Januar", "März", "Mai", "September", "November"},
	},
	{
		code: "fr",
		sentences: []string{
			"%[1]s a déclaré %[6]s à %[2]s que le projet coûterait environ %[4]d millions d'euros.",
			"La %[3]s prévoit que les travaux à %[2]s seront terminés d'ici le %[5]d %[7]s.",
			"Des critiques à %[2]s craignent que le projet soit retardé par des litiges sur les permis.",
			"« Nous avons assez attendu », a déclaré %[1]s après une réunion avec la %[3]s.",
			"Selon la %[3]s, environ %[4]d personnes ont participé à la manifestation à %[2]s.",
			"Les prix ont augmenté de %[5]d %% le mois dernier, la plus forte hausse depuis le printemps.",
			"Les commerçants ont salué la décision, mais de nombreux habitants restent sceptiques.",
			"Les discussions entre la %[3]s et les syndicats reprendront la semaine prochaine à %[2]s.",
		},
		heads:  []string{"Les réactions dans la région", "Et maintenant", "Un long conflit"},
		people: []string{"Marie Dubois", "Jean Martin", "Sophie Bernard", "Karim Haddad"},
		places: []string{"Lyon", "Paris", "Marseille", "Dijon", "Bordeaux"},
		orgs:   []string{"mairie", "Commission européenne", "préfecture", "Banque de France"},
		months: []string{"janvier", "mars", "mai", "septembre", "novembre"},
	},
	{
		code: "es",
		sentences: []string{
			"%[1]s dijo el %[6]s en %[2]s que el plan costará unos %[4]d millones de euros.",
			"El %[3]s espera que las obras en %[2]s terminen antes del %[5]d de %[7]s.",
			"Los críticos en %[2]s advierten que el proyecto podría retrasarse por los permisos.",
			"\"Ya hemos esperado bastante\", dijo %[1]s tras reunirse con el %[3]s.",
			"Según el %[3]s, unas %[4]d personas participaron en la protesta en %[2]s.",
			"Los precios subieron un %[5]d por ciento el mes pasado, la mayor subida desde la primavera.",
			"Los comerciantes celebraron la decisión, aunque muchos vecinos siguen escépticos.",
			"Las negociaciones entre el %[3]s y los sindicatos continuarán la próxima semana en %[2]s.",
		},
		heads:  []string{"Reacciones en la región", "Qué pasará ahora", "Un largo conflicto"},
		people: []string{"Pere Aragonès", "Lucía García", "Javier Moreno", "Carmen Ruiz"},
		places: []string{"Barcelona", "Madrid", "Sevilla", "Valencia", "Bilbao"},
		orgs:   []string{"Gobierno", "ayuntamiento", "Banco de España", "Parlamento Europeo"},
		months: []string{"enero", "marzo", "mayo", "septiembre", "noviembre"},
	},
}

var weekdays = map[string][]string{
	"en": {"Monday", "Tuesday", "Wednesday"},
	"nl": {"maandag", "dinsdag", "woensdag"},
	"de": {"Montag", "Dienstag", "Mittwoch"},
	"fr": {"lundi", "mardi", "mercredi"},
	"es": {"lunes", "martes", "miércoles"},
}

// fill puts the slot values into a template written with fmt's explicit
// argument indexes; a template may leave slots unused (fmt.Sprintf would
// then append %!(EXTRA ...) to the text).
func fill(tmpl, person, place, org string, number, day int, weekday, month string) string {
	return strings.NewReplacer(
		"%[1]s", person, "%[2]s", place, "%[3]s", org, "%[4]d", strconv.Itoa(number),
		"%[5]d", strconv.Itoa(day), "%[6]s", weekday, "%[7]s", month, "%%", "%",
	).Replace(tmpl)
}

// Generator produces articles from a seed.
type Generator struct {
	rng  *rand.Rand
	seed uint64
	n    int
}

// New returns a generator; the same seed gives the same articles.
func New(seed uint64) *Generator {
	return &Generator{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), seed: seed}
}

// Article returns the next article, of about size bytes of body text.
func (g *Generator) Article(size int) *article.Raw {
	g.n++
	l := langs[g.rng.IntN(len(langs))]
	pick := func(s []string) string { return s[g.rng.IntN(len(s))] }
	published := time.Date(2020+g.rng.IntN(6), time.Month(1+g.rng.IntN(12)), 1+g.rng.IntN(28), 0, 0, 0, 0, time.UTC)
	var b strings.Builder
	para := 0
	for b.Len() < size {
		if para > 0 {
			b.WriteString("\n\n")
			if para%3 == 0 {
				b.WriteString(pick(l.heads))
				b.WriteString("\n\n")
			}
		}
		for range 2 + g.rng.IntN(3) {
			s := fill(pick(l.sentences), pick(l.people), pick(l.places), pick(l.orgs),
				10+g.rng.IntN(900), 1+g.rng.IntN(28), pick(weekdays[l.code]), pick(l.months))
			b.WriteString(s)
			b.WriteByte(' ')
		}
		para++
	}
	title := fmt.Sprintf("%s: %s (%d)", pick(l.places), pick(l.heads), g.n)
	body := strings.TrimSpace(b.String())
	url := fmt.Sprintf("https://news.example.org/%s/%d/%08x-%d", l.code, published.Year(), g.seed, g.n)
	return &article.Raw{
		SchemaVersion: article.SchemaVersion,
		ID:            article.ID(url, "", "", title, body),
		Source:        article.Source{Type: "jsonl", Name: "gen", URI: url},
		URL:           url,
		Title:         title,
		Body:          body,
		Published:     published.Format("2006-01-02"),
		IngestedAt:    time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(g.n) * time.Second),
	}
}

// WriteJSONL writes n articles of about size bytes from seed as JSON Lines
// and returns their ids.
func WriteJSONL(path string, seed uint64, n, size int) (map[string]bool, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	w := bufio.NewWriter(f)
	g := New(seed)
	ids := make(map[string]bool, n)
	for range n {
		a := g.Article(size)
		ids[a.ID] = true
		data, err := json.Marshal(a)
		if err != nil {
			f.Close()
			return nil, err
		}
		w.Write(data)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return nil, err
	}
	return ids, f.Close()
}
