package sentiment

import (
	"strings"

	"github.com/blevesearch/snowballstem"
	"github.com/blevesearch/snowballstem/dutch"
	"github.com/blevesearch/snowballstem/english"
	"github.com/blevesearch/snowballstem/french"
	"github.com/blevesearch/snowballstem/german"
	"github.com/blevesearch/snowballstem/spanish"
)

// class is the role a function word plays in scoring a sentence.
type class uint8

const (
	_ class = iota // the zero class: a word with no rule
	// negator flips the polarity of the next few words ("not", "geen", "kein").
	negator
	// neParticle is French "ne": with a negator after the verb it negates the
	// words between ("ne ... pas").
	neParticle
	// booster scales the next words by 1+value: positive values intensify
	// ("very"), negative ones dampen ("slightly").
	booster
	// excess is "too": a positive word after it turns mildly negative.
	excess
	// hedge lowers the strength of the whole sentence ("perhaps", "may").
	hedge
	// contrast shifts weight to what follows it ("but", "maar", "aber").
	contrast
	// concessive lowers the clause it opens ("although", "hoewel").
	concessive
	// notOnly ("not only", "niet alleen") cancels the next contrast and is no
	// negation.
	notOnly
	// reverser turns what follows around without negating the sentence:
	// "reduces crime" is good news, "fewer deaths" too, "cuts benefits" not.
	reverser
	// obligation is "should", "must": editorials demand what is missing, so
	// it carries a tone of its own (tuned).
	obligation
)

// function is the scoring role of a function word or phrase.
type function struct {
	class class
	value float32
}

// rules are the function words of one language.
type rules struct {
	words map[string]function
	// phrases are two-word function phrases keyed "first second".
	phrases map[string]function
	// clauseNegation: a negator at the end of a clause negates the verb
	// before it ("Das hilft nicht", "Dat helpt niet").
	clauseNegation bool
	// compounds: an unknown long word is looked up by its head ("Wirtschaftskrise").
	compounds bool
	// headEndings are the inflections a compound head may carry ("" first).
	headEndings []string
	// elisions split before the apostrophe ("n'est" -> "n'" "est").
	elisions map[string]bool
	stem     func(*snowballstem.Env) bool
	// excessBefore decides whether "too"-words that double as other words
	// (Dutch "te", German "zu") mean "too" before the next word.
	excessBefore func(next string) bool
}

func fn(c class, v float32) function { return function{class: c, value: v} }

// list assigns one function to several space-separated words or, where a
// word contains '_', to a two-word phrase.
func (r *rules) add(f function, words string) {
	for _, w := range strings.Fields(words) {
		if strings.Contains(w, "_") {
			r.phrases[strings.ReplaceAll(w, "_", " ")] = f
			continue
		}
		r.words[w] = f
	}
}

func newRules() *rules {
	return &rules{words: map[string]function{}, phrases: map[string]function{}}
}

// Intensities of boosters and dampeners, as scale factors minus one.
const (
	boostStrong = 0.5
	boost       = 0.3
	boostMild   = 0.15
	damp        = -0.3
	dampStrong  = -0.5
)

// Strengths of hedges: the factor a hedged sentence keeps.
const (
	hedgeMild = 0.85
	hedgeFull = 0.7
)

func englishRules() *rules {
	r := newRules()
	r.stem = english.Stem
	r.add(fn(negator, 0), "not no never none nobody nothing neither nor nowhere cannot can't don't doesn't didn't isn't aren't wasn't weren't won't wouldn't shouldn't couldn't hasn't haven't hadn't mustn't needn't ain't dont doesnt didnt isnt arent wasnt werent wont wouldnt shouldnt couldnt hasnt havent hadnt without lacks lacking lack hardly barely scarcely seldom rarely neednt")
	r.add(fn(notOnly, 0), "not_only not_just")
	r.add(fn(negator, 0), "no_longer")
	r.add(fn(booster, boostStrong), "extremely absolutely utterly completely totally entirely enormously immensely incredibly profoundly deeply exceptionally tremendously thoroughly hugely vastly")
	r.add(fn(booster, boost), "very really highly truly particularly especially remarkably seriously severely gravely bitterly strongly greatly considerably substantially sharply dramatically terribly awfully so such fully most deeply intensely decidedly exceedingly genuinely undeniably unusually")
	r.add(fn(booster, boostMild), "more much far even increasingly quite clearly plainly certainly")
	r.add(fn(booster, damp), "somewhat rather fairly relatively moderately partly partially mildly marginally reasonably less almost nearly")
	r.add(fn(booster, dampStrong), "slightly little minimally")
	r.add(fn(booster, damp), "a_bit a_little kind_of sort_of to_some")
	r.add(fn(excess, 0), "too overly excessively")
	r.add(fn(hedge, hedgeMild), "may might could would perhaps maybe possibly probably apparently seemingly likely presumably arguably reportedly allegedly supposedly")
	r.add(fn(hedge, hedgeFull), "seems seem seemed appears appear appeared suggests suggest")
	r.add(fn(contrast, 0), "but however nevertheless nonetheless")
	r.add(fn(concessive, 0), "although though while whereas despite notwithstanding")
	r.add(fn(contrast, 0), "even_so")
	r.add(fn(concessive, 0), "even_though even_if in_spite")
	r.excessBefore = func(next string) bool { return next != "" }
	r.add(fn(reverser, 0), "reduce reduces reduced reducing reduction fewer curb curbs curbed curbing prevent prevents prevented preventing prevention avoid avoids avoided avoiding eliminate eliminates eliminated eliminating eradicate eradicated stop stops stopped stopping ending alleviate alleviates alleviated tackle tackling combat combating combatting overcome overcoming lessen lessened lower lowers lowered lowering decrease decreased decreases cure cures cured curing")
	r.add(fn(reverser, 0), "put_an crack_down cracking_down")
	r.add(fn(obligation, 0), "should must ought shouldn't mustn't")
	return r
}

func dutchRules() *rules {
	r := newRules()
	r.stem = dutch.Stem
	r.clauseNegation = true
	r.compounds = true
	r.headEndings = []string{"", "en", "s", "e"}
	r.add(fn(negator, 0), "niet geen nooit niets niemand nergens noch zonder allerminst geenszins evenmin nimmer nauwelijks amper zelden")
	r.add(fn(notOnly, 0), "niet_alleen niet_enkel")
	r.add(fn(negator, 0), "niet_meer geen_enkele")
	r.add(fn(booster, boostStrong), "uiterst enorm ontzettend volkomen volstrekt totaal absoluut buitengewoon uitermate diep hoogst verschrikkelijk vreselijk ongelooflijk bijzonder")
	r.add(fn(booster, boost), "zeer erg heel echt werkelijk sterk flink fors zwaar zo zulke zulk zo'n hartstikke behoorlijk ernstig danig")
	r.add(fn(booster, boostMild), "meer meest veel steeds nog duidelijk zelfs")
	r.add(fn(booster, damp), "enigszins nogal vrij tamelijk redelijk relatief deels gedeeltelijk bijna haast iets minder")
	r.add(fn(booster, dampStrong), "lichtelijk licht weinig")
	r.add(fn(booster, damp), "een_beetje een_tikje wat_minder")
	r.add(fn(excess, 0), "al_te veel_te overdreven")
	r.add(fn(hedge, hedgeMild), "misschien mogelijk wellicht waarschijnlijk kennelijk blijkbaar vermoedelijk allicht mogelijkerwijs zou zouden kan kunnen zogenaamd")
	r.add(fn(hedge, hedgeFull), "lijkt lijken leek leken schijnt schijnen")
	r.add(fn(hedge, hedgeMild), "naar_verluidt")
	r.add(fn(contrast, 0), "maar echter doch toch evenwel niettemin desondanks daarentegen integendeel")
	r.add(fn(concessive, 0), "hoewel ofschoon alhoewel weliswaar terwijl ondanks")
	r.excessBefore = excessBeforeGermanic
	r.words["te"] = fn(excess, 0)
	r.add(fn(reverser, 0), "minder verminderen vermindert verminderd vermindering terugdringen terugdringt teruggedrongen bestrijden bestrijdt bestreden bestrijding voorkomen voorkomt vermijden vermijdt vermeden stoppen stopt gestopt beëindigen beëindigt beëindigd tegengaan tegen_te uitbannen uitroeien uitgeroeid indammen inperken verlagen verlaagt verlaagd aanpakken aanpak pakt genezen")
	r.add(fn(reverser, 0), "een_einde een_eind")
	r.add(fn(obligation, 0), "moet moeten moest moesten behoort behoren")
	return r
}

func germanRules() *rules {
	r := newRules()
	r.stem = german.Stem
	r.clauseNegation = true
	r.compounds = true
	r.headEndings = []string{"", "n", "en", "s", "es", "e", "er", "ern"}
	r.add(fn(negator, 0), "nicht kein keine keinen keinem keiner keines nie niemals nichts niemand nirgends nirgendwo weder ohne keineswegs keinesfalls mitnichten kaum selten")
	r.add(fn(notOnly, 0), "nicht_nur")
	r.add(fn(negator, 0), "nicht_mehr")
	r.add(fn(booster, boostStrong), "äußerst extrem höchst zutiefst völlig total absolut überaus ungemein enorm ausgesprochen außerordentlich hochgradig ungeheuer unglaublich furchtbar schrecklich")
	r.add(fn(booster, boost), "sehr besonders wirklich ganz tief stark derart dermaßen richtig echt schwer wahrlich ernsthaft so solch solche solchen ziemlich_stark")
	r.add(fn(booster, boostMild), "mehr meisten viel zunehmend immer noch deutlich klar sogar")
	r.add(fn(booster, damp), "etwas ziemlich relativ eher einigermaßen teilweise halbwegs fast beinahe weniger recht")
	r.add(fn(booster, dampStrong), "leicht wenig geringfügig")
	r.add(fn(booster, damp), "ein_bisschen ein_wenig ein_wenig")
	r.add(fn(excess, 0), "allzu übermäßig viel_zu")
	r.add(fn(hedge, hedgeMild), "vielleicht möglicherweise wahrscheinlich vermutlich offenbar offensichtlich anscheinend scheinbar eventuell angeblich wohl könnte könnten dürfte dürften würde würden mag mögen sogenannte sogenannten")
	r.add(fn(hedge, hedgeFull), "scheint scheinen schien schienen")
	r.add(fn(contrast, 0), "aber jedoch doch allerdings dennoch trotzdem sondern hingegen indes indessen gleichwohl nichtsdestotrotz")
	r.add(fn(concessive, 0), "obwohl obgleich obschon wenngleich zwar trotz")
	r.excessBefore = excessBeforeGermanic
	r.words["zu"] = fn(excess, 0)
	r.add(fn(reverser, 0), "weniger verringern verringert verringerung reduzieren reduziert reduzierung senken senkt gesenkt bekämpfen bekämpft bekämpfung verhindern verhindert verhinderung vermeiden vermeidet vermieden beenden beendet stoppen stoppt gestoppt eindämmen eindämmt eingedämmt beseitigen beseitigt ausrotten eliminieren verkleinern heilen geheilt lindern")
	r.add(fn(reverser, 0), "ein_ende")
	r.add(fn(obligation, 0), "sollte sollten muss müssen müsste müssten soll sollen")
	return r
}

func frenchRules() *rules {
	r := newRules()
	r.stem = french.Stem
	r.elisions = map[string]bool{"l": true, "d": true, "j": true, "m": true, "n": true, "s": true, "t": true, "c": true, "qu": true, "jusqu": true, "lorsqu": true, "puisqu": true, "quoiqu": true}
	r.add(fn(negator, 0), "pas jamais rien personne aucun aucune nul nulle ni sans guère nullement non point")
	r.add(fn(neParticle, 0), "ne n'")
	r.add(fn(notOnly, 0), "non_seulement pas_seulement")
	r.add(fn(booster, boostStrong), "extrêmement absolument totalement complètement profondément énormément terriblement incroyablement entièrement parfaitement excessivement infiniment hautement")
	r.add(fn(booster, boost), "très vraiment tellement particulièrement fortement vivement gravement sérieusement sévèrement considérablement nettement largement réellement si tant pleinement")
	r.add(fn(booster, boostMild), "plus encore davantage bien même clairement")
	r.add(fn(booster, damp), "assez plutôt relativement moyennement partiellement presque quasiment moins")
	r.add(fn(booster, dampStrong), "légèrement peu")
	r.add(fn(booster, damp), "un_peu quelque_peu à_peine")
	r.add(fn(excess, 0), "trop")
	r.add(fn(hedge, hedgeMild), "peut-être probablement possiblement apparemment vraisemblablement éventuellement prétendument pourrait pourraient serait seraient supposé soi-disant")
	r.add(fn(hedge, hedgeFull), "semble semblent semblait semblaient paraît paraissent paraissait")
	r.add(fn(hedge, hedgeMild), "sans_doute peut_être")
	r.add(fn(contrast, 0), "mais cependant pourtant toutefois néanmoins or")
	r.add(fn(contrast, 0), "en_revanche par_contre")
	r.add(fn(concessive, 0), "quoique malgré tandis")
	r.add(fn(concessive, 0), "bien_que même_si alors_que")
	r.excessBefore = func(next string) bool { return next != "" }
	r.add(fn(reverser, 0), "moins réduire réduit réduite réduisent réduction diminuer diminue diminué diminution combattre combat combattent lutter lutte luttent prévenir prévient prévention empêcher empêche empêché éviter évite évité stopper enrayer enraye endiguer éradiquer éliminer élimine éliminé guérir atténuer atténue freiner freine")
	r.add(fn(reverser, 0), "mettre_fin met_fin mis_fin")
	r.add(fn(obligation, 0), "devrait devraient doit doivent faudrait faut")
	return r
}

func spanishRules() *rules {
	r := newRules()
	r.stem = spanish.Stem
	r.add(fn(negator, 0), "no nunca jamás nada nadie ningún ninguno ninguna ningunos ningunas ni sin tampoco apenas")
	r.add(fn(notOnly, 0), "no_solo no_sólo no_solamente")
	r.add(fn(booster, boostStrong), "extremadamente sumamente absolutamente totalmente completamente profundamente enormemente increíblemente terriblemente tremendamente altamente sobremanera")
	r.add(fn(booster, boost), "muy realmente verdaderamente especialmente particularmente gravemente seriamente severamente fuertemente tan tanto tanta tantos tantas considerablemente claramente")
	r.add(fn(booster, boostMild), "más mucho mucha muchos muchas aún incluso cada_vez")
	r.add(fn(booster, damp), "algo bastante relativamente parcialmente casi menos medio")
	r.add(fn(booster, dampStrong), "ligeramente poco")
	r.add(fn(booster, damp), "un_poco un_tanto más_bien")
	r.add(fn(excess, 0), "demasiado demasiada demasiados demasiadas excesivamente")
	r.add(fn(hedge, hedgeMild), "quizás quizá acaso probablemente posiblemente aparentemente supuestamente presuntamente podría podrían sería serían")
	r.add(fn(hedge, hedgeFull), "parece parecen parecía parecían")
	r.add(fn(hedge, hedgeMild), "tal_vez a_lo")
	r.add(fn(contrast, 0), "pero sino mas empero")
	r.add(fn(contrast, 0), "sin_embargo no_obstante")
	r.add(fn(concessive, 0), "aunque pese")
	r.add(fn(concessive, 0), "si_bien a_pesar")
	r.excessBefore = func(next string) bool { return next != "" }
	r.add(fn(reverser, 0), "menos reducir reduce reducen redujo reducido reducción disminuir disminuye disminuyó combatir combate combaten luchar lucha luchan prevenir previene prevención evitar evita evitó impedir impide frenar frena erradicar eliminar elimina curar aliviar alivia atenuar")
	r.add(fn(reverser, 0), "poner_fin acabar_con pone_fin")
	r.add(fn(obligation, 0), "debería deberían debe deben debió")
	return r
}

// excessBeforeGermanic tells "too" from "to": Dutch "te" and German "zu"
// mean "too" before an adjective or adverb, "to" before an infinitive
// (which ends in -en or -n) or a noun.
func excessBeforeGermanic(next string) bool {
	if next == "" {
		return false
	}
	if strings.HasSuffix(next, "en") || strings.HasSuffix(next, "ern") || strings.HasSuffix(next, "eln") {
		return false
	}
	switch next {
	case "zijn", "gaan", "doen", "zien", "staan", "slaan", "tun", "sein", "dem", "der", "den", "einem", "einer", "zum", "zur", "de", "het", "een":
		return false
	}
	return true
}
