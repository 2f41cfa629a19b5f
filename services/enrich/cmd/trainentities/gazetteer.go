package main

import (
	"archive/zip"
	"fmt"
	"os/exec"
	"path"
	"runtime"
	"strings"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/newsflow/newsflow/services/enrich/internal/entities"
)

// gazetteerLanguages are the languages whose country, region and language
// names go into the gazetteer.
var gazetteerLanguages = []language.Tag{language.English, language.Dutch, language.German, language.French, language.Spanish}

// buildGazetteer collects place and language names from the CLDR tables in
// golang.org/x/text and city names from Go's time-zone database. Only
// hashed word keys go into the model.
func buildGazetteer() (map[uint64]uint8, error) {
	gaz := map[uint64]uint8{}
	addName := func(name, lang string, single, first, rest uint8) {
		words := entities.Tokenize(name, lang)
		if len(words) == 0 {
			return
		}
		for i, t := range words {
			w := name[t.Start:t.End]
			if !strings.ContainsFunc(w, func(r rune) bool { return r >= 'A' && r <= 'Z' || r > 127 }) {
				continue // "of", "and", "de": not name words
			}
			bit := rest
			switch {
			case len(words) == 1:
				bit = single
			case i == 0:
				bit = first
			}
			gaz[entities.WordKey(w)] |= bit
		}
	}
	var codes []string
	for a := 'A'; a <= 'Z'; a++ {
		for b := 'A'; b <= 'Z'; b++ {
			codes = append(codes, string([]rune{a, b}))
		}
	}
	for n := 1; n < 1000; n++ {
		codes = append(codes, fmt.Sprintf("%03d", n))
	}
	for _, tag := range gazetteerLanguages {
		base, _ := tag.Base()
		lang := base.String()
		regions := display.Regions(tag)
		for _, c := range codes {
			r, err := language.ParseRegion(c)
			if err != nil {
				continue
			}
			if name := regions.Name(r); name != "" {
				addName(name, lang, entities.GazLocation, entities.GazLocationFirst, entities.GazLocationRest)
			}
		}
		langs := display.Languages(tag)
		for _, l := range display.Supported.Tags() {
			if name := langs.Name(l); name != "" {
				addName(name, lang, entities.GazLanguage, 0, 0)
			}
		}
	}
	// City names from zone ids: Europe/Amsterdam, America/New_York.
	zr, err := zip.OpenReader(path.Join(goroot(), "lib", "time", "zoneinfo.zip"))
	if err != nil {
		return nil, fmt.Errorf("time-zone database: %w", err)
	}
	defer func() { _ = zr.Close() }()
	for _, f := range zr.File {
		dir, city := path.Split(f.Name)
		if dir == "" || strings.HasPrefix(dir, "Etc") || strings.HasPrefix(dir, "SystemV") || city == "" {
			continue
		}
		addName(strings.ReplaceAll(city, "_", " "), "en", entities.GazCity, entities.GazCity, entities.GazCity)
	}
	return gaz, nil
}

// goroot is the Go tree the training runs with (its zoneinfo.zip is the
// time-zone database the gazetteer reads).
func goroot() string {
	if out, err := exec.Command("go", "env", "GOROOT").Output(); err == nil {
		if s := strings.TrimSpace(string(out)); s != "" {
			return s
		}
	}
	return runtime.GOROOT() //nolint:staticcheck // fallback when no go command is on PATH
}
